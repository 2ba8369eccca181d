import { escapeLike } from '../database/sql.js';

/** SQL conditions on `p` (a projects row) with their parameters appended to `params`. */
export class ProjectFilters {
  readonly conditions: string[] = [];
  constructor(private readonly params: unknown[]) {}

  private param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** owner=… and name=…: exact, case-insensitive. */
  exact(column: 'owner' | 'name', value: string | undefined): this {
    if (value !== undefined) this.conditions.push(`${column === 'owner' ? 'p.owner_name_lower' : 'lower(p.name)'} = lower(${this.param(value)})`);
    return this;
  }

  /** search=…: split on whitespace and commas; every term in the owner's or the project's name. */
  search(text: string | undefined): this {
    for (const term of (text ?? '').split(/[\s,]+/).filter(Boolean)) {
      const pattern = this.param(`%${escapeLike(term.toLowerCase())}%`);
      this.conditions.push(`(p.owner_name_lower LIKE ${pattern} OR lower(p.name) LIKE ${pattern})`);
    }
    return this;
  }

  get where(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}

const ORDERABLE: Record<string, string> = { owner: 'p.owner_name_lower', name: 'lower(p.name)', created_at: 'p.created_at' };
const DEFAULT_ORDER = ['p.is_featured DESC', 'p.owner_name_lower ASC', 'lower(p.name) ASC'];

/**
 * ordering=…: comma-separated owner, name, created_at, each optionally "-"-prefixed, applied in the
 * order given; unknown fields ignored. Default: featured first, then owner, then name. Every order ends
 * on id, so pages never overlap or skip (spec §5.2).
 */
export function orderBySql(ordering: string | undefined): string {
  return `ORDER BY ${orderTerms(ordering).join(', ')}`;
}

/** The same order among one owner's projects, where the owner's name is the same for all: what a per-owner index provides. */
export function ownerOrderBySql(ordering: string | undefined): string {
  return `ORDER BY ${orderTerms(ordering)
    .filter((term) => !term.startsWith(ORDERABLE.owner))
    .join(', ')}`;
}

function orderTerms(ordering: string | undefined): string[] {
  const terms: string[] = [];
  const seen = new Set<string>();
  for (const raw of (ordering ?? '').split(',').map((s) => s.trim())) {
    const field = raw.replace(/^-/, '');
    if (!ORDERABLE[field] || seen.has(field)) continue;
    seen.add(field);
    terms.push(`${ORDERABLE[field]} ${raw.startsWith('-') ? 'DESC' : 'ASC'}`);
  }
  return [...(terms.length ? terms : DEFAULT_ORDER), 'p.id ASC'];
}
