import type { PageRequest } from '../common/pagination.js';
import { forgetListTexts, listProjectsStatements, listPublicProjectsStatements, type ListProjectsCriteria, type ListStatements } from './project-lists.sql.js';

const CALLER = '6f1c4b0e-0000-4000-8000-000000000001';
const OTHER_CALLER = '6f1c4b0e-0000-4000-8000-000000000002';

/** Every part a list's text is built from, in a few values each. */
function requests(): Array<{ criteria: ListProjectsCriteria; page: PageRequest }> {
  const result: Array<{ criteria: ListProjectsCriteria; page: PageRequest }> = [];
  for (const includePublic of [false, true])
    for (const owner of [undefined, 'acme'])
      for (const name of [undefined, 'survey'])
        for (const search of [undefined, 'roads', 'roads, north'])
          for (const ordering of [undefined, 'name', '-created_at,name', 'owner', '-owner,-name', 'bogus'])
            for (const page of [
              { limit: null, offset: 0 },
              { limit: 10, offset: 0 },
              { limit: 50, offset: 100 },
              { limit: 100, offset: 0 },
              { limit: 500, offset: 0 },
            ])
              result.push({ criteria: { includePublic, owner, name, search, ordering }, page });
  return result;
}

/** The statements of each request built afresh, with no text kept from another request. */
function builtAfresh<T>(all: T[], build: (request: T) => ListStatements): ListStatements[] {
  return all.map((request) => {
    forgetListTexts();
    return build(request);
  });
}

describe('list statements: texts built once per shape', () => {
  afterEach(() => forgetListTexts());

  it('requests of one shape share the text and carry their own values', () => {
    const first = listProjectsStatements(CALLER, { includePublic: true, owner: 'acme', search: 'roads north', ordering: 'name' }, { limit: 50, offset: 0 });
    const second = listProjectsStatements(
      OTHER_CALLER,
      { includePublic: true, owner: 'Survey-Org', search: 'lakes west', ordering: 'name' },
      { limit: 40, offset: 80 },
    );
    expect(second.page.sql).toBe(first.page.sql);
    expect(second.count.sql).toBe(first.count.sql);
    expect(first.page.params).toEqual([CALLER, 'acme', '%roads%', '%north%', 50, 50, 0]);
    expect(second.page.params).toEqual([OTHER_CALLER, 'Survey-Org', '%lakes%', '%west%', 120, 40, 80]);
    expect(second.count.params).toEqual([OTHER_CALLER, 'Survey-Org', '%lakes%', '%west%']);
  });

  it('every request of GET /projects/ gets the text its own shape builds, whichever shapes came before', () => {
    const all = requests();
    const fresh = builtAfresh(all, ({ criteria, page }) => listProjectsStatements(CALLER, criteria, page));
    // Distinct shapes make distinct texts: the grid does exercise the shape.
    expect(new Set(fresh.map((statements) => statements.page.sql)).size).toBeGreaterThan(200);
    forgetListTexts();
    for (const order of [all.map((_, i) => i), all.map((_, i) => all.length - 1 - i)]) {
      for (const i of order) expect(listProjectsStatements(CALLER, all[i].criteria, all[i].page)).toEqual(fresh[i]);
    }
  });

  it('every request of GET /projects/public/ gets the text its own shape builds, whichever shapes came before', () => {
    const all = requests().filter(({ criteria }) => !criteria.includePublic && !criteria.owner && !criteria.name);
    const fresh = builtAfresh(all, ({ criteria, page }) => listPublicProjectsStatements(CALLER, criteria, page));
    expect(new Set(fresh.map((statements) => statements.page.sql)).size).toBeGreaterThan(30);
    forgetListTexts();
    for (const order of [all.map((_, i) => i), all.map((_, i) => all.length - 1 - i)]) {
      for (const i of order) expect(listPublicProjectsStatements(CALLER, all[i].criteria, all[i].page)).toEqual(fresh[i]);
    }
  });
});
