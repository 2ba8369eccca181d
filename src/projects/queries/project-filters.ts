import { escapeLike } from '../../accounts/queries/list-users.query.js';

/** SQL conditions on `p` (project) and `o` (owner) with their parameters appended to `params`. */
export class ProjectFilters {
  readonly conditions: string[] = [];
  constructor(private readonly params: unknown[]) {}

  private param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** owner=… and name=…: exact, case-insensitive. */
  exact(column: 'owner' | 'name', value: string | undefined): this {
    if (value !== undefined) this.conditions.push(`lower(${column === 'owner' ? 'o.username' : 'p.name'}) = lower(${this.param(value)})`);
    return this;
  }

  /** search=…: split on whitespace and commas; every term in the owner's or the project's name. */
  search(text: string | undefined): this {
    for (const term of (text ?? '').split(/[\s,]+/).filter(Boolean)) {
      const pattern = this.param(`%${escapeLike(term.toLowerCase())}%`);
      this.conditions.push(`(lower(o.username) LIKE ${pattern} OR lower(p.name) LIKE ${pattern})`);
    }
    return this;
  }

  get where(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}

const ORDERABLE: Record<string, string> = { owner: 'lower(o.username)', name: 'lower(p.name)', created_at: 'p.created_at' };
const DEFAULT_ORDER = ['p.is_featured DESC', 'lower(o.username)', 'lower(p.name)'];

/**
 * ordering=…: comma-separated owner, name, created_at, each optionally "-"-prefixed, applied in the
 * order given; unknown fields ignored. Default: featured first, then owner, then name. Every order ends
 * on id, so pages never overlap or skip (spec §5.2).
 */
export function orderBySql(ordering: string | undefined): string {
  const terms: string[] = [];
  const seen = new Set<string>();
  for (const raw of (ordering ?? '').split(',').map((s) => s.trim())) {
    const field = raw.replace(/^-/, '');
    if (!ORDERABLE[field] || seen.has(field)) continue;
    seen.add(field);
    terms.push(`${ORDERABLE[field]} ${raw.startsWith('-') ? 'DESC' : 'ASC'}`);
  }
  return `ORDER BY ${[...(terms.length ? terms : DEFAULT_ORDER), 'p.id ASC'].join(', ')}`;
}
