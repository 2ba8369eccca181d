import { limitOffsetSql, type PageRequest } from '../common/pagination.js';
import { TextsByShape } from '../database/prepared.js';
import { orderByTermsSql, orderColumn, orderKey, orderTerms, ProjectFilters, type OrderTerm } from './project-filters.sql.js';
import { PROJECT_SORT_KEYS, projectPageSql } from './project-select.sql.js';
import { callerRoleSetsSql, pageRowRoleSql } from './roles/project-roles.sql.js';

/*
 * The statements of the two project lists, GET /projects/ and GET /projects/public/: one statement
 * per page, its rows carrying the total, and a count for an empty page past the end.
 * ProjectsRepository runs them; the benchmark's ceiling runs these very statements too, so they are
 * built here, apart from the repository's connection.
 */

export interface ListProjectsCriteria {
  includePublic: boolean;
  owner?: string;
  name?: string;
  search?: string;
  ordering?: string;
}

/** The number of public projects, from the counts the database keeps (migration PublicProjectCounts). */
export const PUBLIC_PROJECTS_TOTAL = '(SELECT sum(projects) FROM public_project_counts)';

/**
 * The statements of a list page, with their parameters (the benchmark's ceiling runs these very
 * statements). The page's rows carry the list's length (`total_count`); the count statement is needed
 * only when the page is empty (see listTotal).
 */
export interface ListStatements {
  page: { sql: string; params: unknown[] };
  count: { sql: string; params: unknown[] };
}

/**
 * The list's length from its page: on every row, and 0 when the first page is empty; null when a page
 * past the end is empty, where only the count statement can tell.
 */
export function listTotal(rows: Array<{ total_count: number }>, page: PageRequest): number | null {
  if (rows.length) return rows[0].total_count;
  return page.limit === null || page.offset === 0 ? 0 : null;
}

/**
 * The page is the first rows, in the requested order, of three disjoint sets, each read in index order
 * and cut at offset + limit rows: the projects of every owner the caller sees whole (their own, their
 * organizations'), the other projects they collaborate on, and (include_public) the remaining public
 * projects. The roles are computed for the page's rows only. The count adds the three sets up.
 *
 * The first set is read one owner at a time. In an order led by the owner (the default one, after the
 * featured projects), owners are taken in name order and each one's projects in index order until the
 * page is full, so it reads about offset + limit entries in all, plus one probe per owner it reaches.
 * In an order led by name or created_at, owners interleave: each owner's entries up to a bound are
 * read and merged, about three times offset + limit in all (interleavedBoundSql). Its count reads one
 * row per owner from the counts the database keeps (owner_project_counts); with a search, only owners
 * whose name does not carry every term have their projects tested.
 */
export function listProjectsStatements(userId: string, criteria: ListProjectsCriteria, page: PageRequest): ListStatements {
  const params: unknown[] = [userId];
  const filters = new ProjectFilters(params).exact('owner', criteria.owner).exact('name', criteria.name).search(criteria.search);
  // countParams is the head of params, so the count's placeholders mean the same in the page's statement.
  const countParams = [...params];
  const terms = orderTerms(criteria.ordering);
  params.push(page.limit === null ? null : page.offset + page.limit);
  const firstRowsParam = `$${params.length}`;
  const limitOffset = limitOffsetSql(page, params);
  const shape = `${criteria.includePublic ? 'include_public ' : ''}${shapeOf(filters, terms, page)}`;
  const texts = PROJECTS_TEXTS.get(shape, () => listProjectsTexts(filters, criteria.includePublic, terms, page, firstRowsParam, limitOffset));
  return { page: { sql: texts.page, params }, count: { sql: texts.count, params: countParams } };
}

/** What both lists' texts are built from, the values aside: the filters, the order and the page bound. */
function shapeOf(filters: ProjectFilters, terms: OrderTerm[], page: PageRequest): string {
  return `${filters.shape} ${orderKey(terms)} ${pageBound(page) ?? 'all'}`;
}

const PROJECTS_TEXTS = new TextsByShape<{ page: string; count: string }>();
const PUBLIC_PROJECTS_TEXTS = new TextsByShape<{ page: string; count: string }>();

/** For tests: the next list request of each shape builds its statements' texts again. */
export function forgetListTexts(): void {
  PROJECTS_TEXTS.clear();
  PUBLIC_PROJECTS_TEXTS.clear();
}

/** The texts of listProjectsStatements: built once per shape, from the placeholders of its parameters. */
function listProjectsTexts(
  filters: ProjectFilters,
  includePublic: boolean,
  terms: OrderTerm[],
  page: PageRequest,
  firstRowsParam: string,
  limitOffset: string,
): { page: string; count: string } {
  const and = (conditions: string[]) => conditions.map((condition) => ` AND ${condition}`).join('');

  // The owners the caller sees whole, with their names (the owner filter applies to them as a whole).
  const ownerFilter = filters.hasOwner ? ` WHERE ${filters.ownerCondition('name')}` : '';
  const owners = `owners AS MATERIALIZED (SELECT DISTINCT owner_id, name FROM owner_roles${ownerFilter})`;
  const ctes = `${callerRoleSetsSql('$1')},
    ${owners}`;
  const ofOwner = and(filters.projectConditions('w.name'));

  // Each set leaves out what an earlier one holds, so no project is read or counted twice.
  const ownedElsewhere = 'p.owner_id NOT IN (SELECT owner_id FROM owner_roles)';
  const collaborated = 'p.id IN (SELECT project_id FROM collaboration_roles)';
  const sets = [`${collaborated} AND ${ownedElsewhere}`];
  if (includePublic) sets.push(`p.is_public AND ${ownedElsewhere} AND NOT ${collaborated}`);

  const orderBy = orderByTermsSql(terms);
  // Each set's first offset + limit rows (all of them when there is no limit: LIMIT NULL).
  const firstRows = `LIMIT ${firstRowsParam}`;
  const candidates = [
    ...ownedCandidatesSql(terms, ofOwner, firstRows, page.limit === null ? null : firstRowsParam),
    ...sets.map((set) => `(SELECT ${PROJECT_SORT_KEYS} FROM projects p WHERE ${set}${and(filters.conditions)} ${orderBy} ${firstRows})`),
  ];
  const pageSql = boundedPageSql(`SELECT * FROM (${candidates.join('\n      UNION ALL\n      ')}) p ${orderBy} ${limitOffset}`, page);

  const count = (where: string) => `SELECT count(*) FROM projects p WHERE ${where}`;
  const ownerTotal = (column: 'projects' | 'public_projects', owners: string) =>
    `SELECT coalesce(sum(c.${column}), 0) FROM owner_project_counts c WHERE c.owner_id IN (${owners})`;
  const counts = [ownedCountSql(filters, ofOwner), count(`${sets[0]}${and(filters.conditions)}`)];
  if (includePublic) {
    // Unfiltered, the remaining public projects are all of them less the public ones of the first two
    // sets: no need to count the public projects one by one.
    counts.push(
      filters.conditions.length
        ? count(`${sets[1]}${and(filters.conditions)}`)
        : `${PUBLIC_PROJECTS_TOTAL} - (${ownerTotal('public_projects', 'SELECT owner_id FROM owner_roles')}) - (${count(`p.is_public AND ${sets[0]}`)})`,
    );
  }
  const total = counts.map((count) => `(${count})`).join(' + ');
  return {
    page: projectPageSql({ ctes, pageSql, role: pageRowRoleSql({ includePublic }), orderBy, total }),
    count: `WITH ${ctes} SELECT (${total})::int AS count`,
  };
}

/**
 * The first rows of the owners' projects (`ofOwner`: the conditions within one owner `w`), as
 * candidates of the page. Where the order is led by the owner's name, owners are walked in that order
 * and the walk stops when it has `firstRows`; the incremental sort on the owner's name (which the walk
 * provides) keeps that a plan the planner can see and no reliance on row order. Where it is led by
 * name or created_at, each owner's rows are read up to a bound on that key (interleavedBoundSql).
 */
function ownedCandidatesSql(terms: OrderTerm[], ofOwner: string, firstRows: string, firstRowsParam: string | null): string[] {
  const [first, second] = terms;
  const ownersOrder = (term: OrderTerm) => `(SELECT owner_id, name FROM owners ORDER BY name ${term.descending ? 'DESC' : 'ASC'})`;
  const walk = (byOwner: OrderTerm, featured: string, rest: OrderTerm[]) =>
    `(SELECT c.* FROM ${ownersOrder(byOwner)} w CROSS JOIN LATERAL (
       SELECT ${PROJECT_SORT_KEYS} FROM projects p WHERE p.owner_id = w.owner_id${featured}${ofOwner} ${orderByTermsSql(rest)} ${firstRows}) c
     ${orderByTermsSql([byOwner, ...rest], (field) => (field === 'owner' ? 'w.name' : orderColumn(field, 'c')))} ${firstRows})`;
  if (first.field === 'owner') return [walk(first, '', terms.slice(1))];
  if (first.field === 'featured' && second.field === 'owner') {
    // Featured projects first: a walk through the featured ones, then one through the others.
    const rest = terms.slice(2);
    return [
      walk(second, ` AND ${first.descending ? '' : 'NOT '}p.is_featured`, rest),
      walk(second, ` AND ${first.descending ? 'NOT ' : ''}p.is_featured`, rest),
    ];
  }
  const withinOwner = terms.filter((term) => term.field !== 'owner');
  const bound = firstRowsParam ? interleavedBoundSql(first, ofOwner, firstRowsParam) : '';
  return [
    `(SELECT c.* FROM owners w CROSS JOIN LATERAL (
       SELECT ${PROJECT_SORT_KEYS} FROM projects p WHERE p.owner_id = w.owner_id${ofOwner}${bound} ${orderByTermsSql(withinOwner)} ${firstRows}) c)`,
  ];
}

/**
 * In an order led by name or created_at (`lead`), the first `n` rows of all owners together reach no
 * further in that key than the n-th row of any subset of those rows. The subset is each owner's first
 * 2 × ceil(n ÷ owners) rows (twice the even share, so owners with fewer rows than that leave enough);
 * its n-th key bounds every owner's read, so about n rows are read beyond the subset, where reading
 * each owner's first n rows read owners × n. When the subset holds fewer than n rows, the bound is the
 * last key of all the owners' rows: every owner's first n rows are read, as without a bound. Ties on
 * the key are all kept (the bound is inclusive), and the later order terms sort them.
 */
function interleavedBoundSql(lead: OrderTerm, ofOwner: string, n: string): string {
  const key = orderColumn(lead.field);
  const direction = lead.descending ? 'DESC' : 'ASC';
  const reverse = lead.descending ? 'ASC' : 'DESC';
  const firstKeys = (order: string, rows: string) =>
    `SELECT ${key} AS key FROM projects p WHERE p.owner_id = w.owner_id${ofOwner} ORDER BY ${key} ${order} LIMIT ${rows}`;
  const share = `(SELECT 2 * ceil(${n}::numeric / greatest(count(*), 1))::bigint FROM owners)`;
  const nth = `(SELECT s.key FROM owners w CROSS JOIN LATERAL (${firstKeys(direction, share)}) s ORDER BY s.key ${direction} OFFSET ${n} - 1 LIMIT 1)`;
  const last = `(SELECT s.key FROM owners w CROSS JOIN LATERAL (${firstKeys(reverse, '1')}) s ORDER BY s.key ${reverse} LIMIT 1)`;
  return ` AND ${key} ${lead.descending ? '>=' : '<='} coalesce(${nth}, ${last})`;
}

/**
 * The owners' projects that pass the filters: one counts row per owner, unless a project condition
 * applies (a name, a search); then an owner whose name carries every search term still needs no
 * project read, and the others have theirs tested.
 */
function ownedCountSql(filters: ProjectFilters, ofOwner: string): string {
  const total = (owners: string) => `SELECT coalesce(sum(c.projects), 0) FROM owner_project_counts c WHERE c.owner_id IN (${owners})`;
  if (!ofOwner) return total('SELECT owner_id FROM owners');
  const tested = `SELECT count(*) FROM projects p WHERE p.owner_id = w.owner_id${ofOwner}`;
  const everyProject = filters.everyProjectPasses('w.name');
  const perOwner = everyProject ? `CASE WHEN ${everyProject} THEN (${total('w.owner_id')}) ELSE (${tested}) END` : `(${tested})`;
  return `SELECT coalesce(sum(${perOwner}), 0) FROM owners w`;
}

/** The page is read in index order from the public projects alone; the roles are computed for its rows only. */
export function listPublicProjectsStatements(userId: string, criteria: { search?: string; ordering?: string }, page: PageRequest): ListStatements {
  const params: unknown[] = [userId];
  const filters = new ProjectFilters(params).search(criteria.search);
  const countParams: unknown[] = [];
  const countFilters = new ProjectFilters(countParams).search(criteria.search);
  const terms = orderTerms(criteria.ordering);
  const limitOffset = limitOffsetSql(page, params);
  const shape = shapeOf(filters, terms, page);
  const texts = PUBLIC_PROJECTS_TEXTS.get(shape, () => {
    const orderBy = orderByTermsSql(terms);
    const and = filters.conditions.map((condition) => ` AND ${condition}`).join('');
    const pageSql = boundedPageSql(`SELECT ${PROJECT_SORT_KEYS} FROM projects p WHERE p.is_public${and} ${orderBy} ${limitOffset}`, page);
    // The same count in both statements, each with its own parameters (the page's start with the caller).
    const publicCount = (conditions: string[]) =>
      conditions.length ? `SELECT count(*) FROM projects p WHERE ${['p.is_public', ...conditions].join(' AND ')}` : `SELECT ${PUBLIC_PROJECTS_TOTAL}`;
    const role = pageRowRoleSql({ includePublic: true });
    return {
      page: projectPageSql({ ctes: callerRoleSetsSql('$1'), pageSql, role, orderBy, total: publicCount(filters.conditions) }),
      count: `SELECT (${publicCount(countFilters.conditions)})::int AS count`,
    };
  });
  return { page: { sql: texts.page, params }, count: { sql: texts.count, params: countParams } };
}

/**
 * The page's statement under a constant bound on its rows: the next power of two at or above the
 * limit (at least 64). With only `LIMIT $n`, the plan PostgreSQL caches for a prepared statement
 * (planned without the values) assumes a page of a tenth of the rows it is cut from; for the public
 * list, thousands of rows to fetch details and roles for, which made PostgreSQL plan every execution
 * afresh (about 3 ms at 100k projects, more than running it). The bound is in the text, so statements
 * differ by it: a few, one per power of two.
 */
function boundedPageSql(pageSql: string, page: PageRequest): string {
  const bound = pageBound(page);
  return bound === null ? pageSql : `SELECT * FROM (${pageSql}) bounded LIMIT ${bound}`;
}

function pageBound(page: PageRequest): number | null {
  return page.limit === null ? null : Math.max(64, 2 ** Math.ceil(Math.log2(page.limit)));
}
