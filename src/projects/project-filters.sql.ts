import { escapeLike } from '../database/sql.js';

/**
 * SQL conditions on `p` (a projects row) with their parameters appended to `params`. The owner's
 * name is `p.owner_name_lower` unless a list reads one owner's projects at a time and names it
 * (`ownerName`): then the owner filter and the owner half of each search term are known per owner.
 */
export class ProjectFilters {
  private owner: string | null = null;
  private name: string | null = null;
  private readonly terms: string[] = [];
  constructor(private readonly params: unknown[]) {}

  private param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** owner=… and name=…: exact, case-insensitive. */
  exact(column: 'owner' | 'name', value: string | undefined): this {
    if (value !== undefined) this[column] = this.param(value);
    return this;
  }

  /** search=…: split on whitespace and commas; every term in the owner's or the project's name. */
  search(text: string | undefined): this {
    for (const term of (text ?? '').split(/[\s,]+/).filter(Boolean)) this.terms.push(this.param(`%${escapeLike(term.toLowerCase())}%`));
    return this;
  }

  /** Every condition, on `p`. */
  get conditions(): string[] {
    return [...(this.owner ? [this.ownerCondition('p.owner_name_lower')] : []), ...this.projectConditions('p.owner_name_lower')];
  }

  get where(): string {
    const conditions = this.conditions;
    return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  }

  /** The owner filter, on the owner's lower-cased name; null when there is none. */
  ownerCondition(ownerName: string): string {
    return `${ownerName} = lower(${this.owner})`;
  }

  /** What the conditions' text is built from, the values aside: which filters, how many search terms. */
  get shape(): string {
    return `${this.owner ? 'owner ' : ''}${this.name ? 'name ' : ''}${this.terms.length} terms`;
  }

  get hasOwner(): boolean {
    return this.owner !== null;
  }

  /** The conditions but the owner filter, the owner's name being `ownerName`. */
  projectConditions(ownerName: string): string[] {
    return [
      ...(this.name ? [`lower(p.name) = lower(${this.name})`] : []),
      ...this.terms.map((pattern) => `(${ownerName} LIKE ${pattern} OR lower(p.name) LIKE ${pattern})`),
    ];
  }

  /**
   * When this holds for an owner (of name `ownerName`), every one of its projects passes the
   * conditions but the owner filter: the owner's name carries every search term, and no name is asked
   * for. Then its count needs no project read. Null when it can never hold (a name filter, no search).
   */
  everyProjectPasses(ownerName: string): string | null {
    if (this.name || this.terms.length === 0) return null;
    return this.terms.map((pattern) => `${ownerName} LIKE ${pattern}`).join(' AND ');
  }
}

export type OrderField = 'featured' | 'owner' | 'name' | 'created_at' | 'id';
export interface OrderTerm {
  field: OrderField;
  descending: boolean;
}

/** The columns of a projects row (as `alias`) each order field compares. */
export function orderColumn(field: OrderField, alias = 'p'): string {
  return {
    featured: `${alias}.is_featured`,
    owner: `${alias}.owner_name_lower`,
    name: `lower(${alias}.name)`,
    created_at: `${alias}.created_at`,
    id: `${alias}.id`,
  }[field];
}

const ORDERABLE = new Set<OrderField>(['owner', 'name', 'created_at']);
const DEFAULT_ORDER: OrderTerm[] = [
  { field: 'featured', descending: true },
  { field: 'owner', descending: false },
  { field: 'name', descending: false },
];

/**
 * ordering=…: comma-separated owner, name, created_at, each optionally "-"-prefixed, applied in the
 * order given; unknown fields ignored. Default: featured first, then owner, then name. Every order ends
 * on id, so pages never overlap or skip (spec §5.2).
 */
export function orderTerms(ordering: string | undefined): OrderTerm[] {
  const terms: OrderTerm[] = [];
  for (const raw of (ordering ?? '').split(',').map((s) => s.trim())) {
    const field = raw.replace(/^-/, '') as OrderField;
    if (!ORDERABLE.has(field) || terms.some((term) => term.field === field)) continue;
    terms.push({ field, descending: raw.startsWith('-') });
  }
  return [...(terms.length ? terms : DEFAULT_ORDER), { field: 'id', descending: false }];
}

/** The order as a short string (`-created_at,name,id`), for the shape of a statement's text. */
export function orderKey(terms: OrderTerm[]): string {
  return terms.map((term) => `${term.descending ? '-' : ''}${term.field}`).join(',');
}

/** `ORDER BY …` of `terms`; `column` names each field's expression (default: on `p`). */
export function orderByTermsSql(terms: OrderTerm[], column: (field: OrderField) => string = (field) => orderColumn(field)): string {
  return `ORDER BY ${terms.map((term) => `${column(term.field)} ${term.descending ? 'DESC' : 'ASC'}`).join(', ')}`;
}

/** The same order among one owner's projects, where the owner's name is the same for all: what a per-owner index provides. */
export function ownerOrderBySql(ordering: string | undefined): string {
  return orderByTermsSql(orderTerms(ordering).filter((term) => term.field !== 'owner'));
}
