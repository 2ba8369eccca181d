/** The accounts the benchmark acts as (created by seed.ts), and their tokens. */
export const BENCH_USERS = {
  /** A person who owns 5 projects and belongs to nothing. */
  fewProjects: 'bench_few',
  /** Owner of the largest organization and admin of 40 more: sees the most projects. */
  organizationAdmin: 'bench_orgadmin',
} as const;

/** Deterministic, so the seed and the runner agree without a file between them (benchmark data only). */
export const benchToken = (username: string) => `bench-token-${username}-`.padEnd(120, 'x');
