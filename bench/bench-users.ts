import pg from 'pg';

/** The accounts the benchmark acts as (created by seed.ts), and their tokens. */
export const BENCH_USERS = {
  /** A person who owns 5 projects and belongs to nothing. */
  fewProjects: 'bench_few',
  /** Owner of the largest organization and admin of 40 more: sees the most projects. */
  organizationAdmin: 'bench_orgadmin',
} as const;

/** Deterministic, so the seed and the runner agree without a file between them (benchmark data only). */
export const benchToken = (username: string) => `bench-token-${username}-`.padEnd(120, 'x');

/** A project of an organization the organization admin owns (the newest), as bench/run.ts reads it: the GET scenarios' project. */
export async function organizationAdminProject(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT p.id FROM projects p JOIN accounts o ON o.id = p.owner_id JOIN accounts admin ON admin.id = o.organization_owner_id
        WHERE admin.username = $1 ORDER BY p.created_at DESC, p.id LIMIT 1`,
      [BENCH_USERS.organizationAdmin],
    );
    return rows[0].id as string;
  } finally {
    await client.end();
  }
}
