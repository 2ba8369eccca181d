import type { EntityManager } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { JobsRepository, type JobRow } from '../jobs/jobs.repository.js';
import { DeltasRepository } from './deltas.repository.js';

/** An apply job holds at most this many deltas (spec §11.3). */
export const DELTAS_PER_APPLY_JOB = 1000;

export type ApplyQueueOutcome =
  | { kind: 'created'; jobs: JobRow[] }
  | { kind: 'active'; job: JobRow }
  | { kind: 'over_quota'; usedBytes: number; quotaBytes: number }
  | { kind: 'nothing_pending' };

export interface ApplyQueueDeps {
  jobs: JobsRepository;
  deltas: DeltasRepository;
  accounts: AccountsRepository;
  defaultQuotaBytes: number;
}

/**
 * Spec §11.3: gives the project's pending deltas that no active apply job holds to new delta_apply
 * jobs, at most DELTAS_PER_APPLY_JOB each, in push order. While the owner is over quota they stay
 * pending, with the reason in last_feedback. Runs in `tx`, which must hold the project's row lock
 * (JobsRepository.lockProject): a push, POST /jobs/ delta_apply, and the worker returning a lost job's
 * deltas all come through here.
 */
export async function queueApplyJobs(
  tx: EntityManager,
  deps: ApplyQueueDeps,
  project: { id: string; owner_id: string; owner: string },
  createdById: string | null,
): Promise<ApplyQueueOutcome> {
  const jobs = deps.jobs.withinTx(tx);
  const deltas = deps.deltas.withinTx(tx);
  const pending = await deltas.unassignedPending(project.id);
  if (pending.length === 0) {
    const active = await jobs.activeJob(project.id, 'delta_apply');
    return active ? { kind: 'active', job: active } : { kind: 'nothing_pending' };
  }
  const { usedBytes, quotaBytes } = await deps.accounts.withinTx(tx).storageUsage(project.owner_id, deps.defaultQuotaBytes);
  if (usedBytes >= quotaBytes) {
    await deltas.markWaiting(project.id, `The owner ${project.owner} is over its storage quota; these deltas wait until storage is freed`);
    return { kind: 'over_quota', usedBytes, quotaBytes };
  }
  const created: JobRow[] = [];
  for (let start = 0; start < pending.length; start += DELTAS_PER_APPLY_JOB) {
    const job = await jobs.create({ projectId: project.id, type: 'delta_apply', createdById });
    await deltas.assignToJob(pending.slice(start, start + DELTAS_PER_APPLY_JOB), job.id);
    created.push(job);
  }
  return { kind: 'created', jobs: created };
}
