import { orderByTermsSql, orderTerms, ownerOrderBySql, ProjectFilters } from './project-filters.sql.js';

const orderBySql = (ordering: string | undefined) => orderByTermsSql(orderTerms(ordering));

describe('the ordering parameter of the project lists (spec §5.2)', () => {
  it('default: featured first, then owner, then name, ending on id', () => {
    expect(orderBySql(undefined)).toBe('ORDER BY p.is_featured DESC, p.owner_name_lower ASC, lower(p.name) ASC, p.id ASC');
    expect(orderBySql('')).toBe(orderBySql(undefined));
  });

  it('applies the fields in the order given, "-" for descending', () => {
    expect(orderBySql('-created_at,name')).toBe('ORDER BY p.created_at DESC, lower(p.name) ASC, p.id ASC');
  });

  it('ignores unknown fields, blanks and repeats; only unknown fields: the default', () => {
    expect(orderBySql(' owner , bogus,,owner,-owner')).toBe('ORDER BY p.owner_name_lower ASC, p.id ASC');
    expect(orderBySql('bogus,-id')).toBe(orderBySql(undefined));
  });

  it('within one owner, the owner term is left out', () => {
    expect(ownerOrderBySql('owner,-name')).toBe('ORDER BY lower(p.name) DESC, p.id ASC');
    expect(ownerOrderBySql(undefined)).toBe('ORDER BY p.is_featured DESC, lower(p.name) ASC, p.id ASC');
  });
});

describe('the owner, name and search filters of the project lists (spec §5.2)', () => {
  it('no filter: no WHERE', () => {
    expect(new ProjectFilters([]).exact('owner', undefined).search(undefined).where).toBe('');
  });

  it('owner and name match exactly, case-insensitively, as parameters', () => {
    const params: unknown[] = [];
    const filters = new ProjectFilters(params).exact('owner', 'Alice').exact('name', 'Lake');
    expect(filters.where).toBe('WHERE p.owner_name_lower = lower($1) AND lower(p.name) = lower($2)');
    expect(params).toEqual(['Alice', 'Lake']);
  });

  it('search splits on whitespace and commas; every term must match, LIKE characters escaped', () => {
    const params: unknown[] = ['before'];
    const filters = new ProjectFilters(params).search(' Lake, 100%_  ');
    expect(filters.conditions).toEqual(['(p.owner_name_lower LIKE $2 OR lower(p.name) LIKE $2)', '(p.owner_name_lower LIKE $3 OR lower(p.name) LIKE $3)']);
    expect(params).toEqual(['before', '%lake%', '%100\\%\\_%']);
  });
});
