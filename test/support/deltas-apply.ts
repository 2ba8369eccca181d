import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../../src/accounts/accounts.repository.js';
import { queueApplyJobs } from '../../src/deltas/apply-queue.js';
import { DeltasRepository } from '../../src/deltas/deltas.repository.js';
import { JobsRepository } from '../../src/jobs/jobs.repository.js';
import type { TestApp } from './test-app.js';

/**
 * What the delta_apply worker tests share: deltas stored as a push stores them (rows of the deltas
 * table, straight in SQL), handed to apply jobs by the real queueApplyJobs, and a stand-in for
 * qgis/apply_deltas.py that needs no QGIS, for the tests of the worker's side of the contract.
 */

type Sql = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

export interface NewDelta {
  id?: string;
  method?: 'create' | 'patch' | 'delete';
  /** What the stand-in does with it (see standInPython). */
  test?: string;
  [key: string]: unknown;
}

/** Stores deltas as one pushed delta file of `clientId` (pending, push order = array order); their ids. */
export async function insertDeltas(sql: Sql, projectId: string, createdById: string, clientId: string, deltas: NewDelta[]): Promise<string[]> {
  const deltafileId = randomUUID();
  const ids: string[] = [];
  for (const delta of deltas) {
    const id = delta.id ?? randomUUID();
    const content = {
      uuid: id,
      clientId,
      localLayerId: 'points_layer',
      sourceLayerId: '',
      localPk: String(ids.length + 1),
      sourcePk: '',
      method: 'create',
      ...delta,
    };
    delete content.id;
    await sql(`INSERT INTO deltas (id, deltafile_id, project_id, created_by_id, client_id, content) VALUES ($1, $2, $3, $4, $5, $6)`, [
      id,
      deltafileId,
      projectId,
      createdById,
      clientId,
      JSON.stringify(content),
    ]);
    ids.push(id);
  }
  return ids;
}

/** What a push does after storing: queueApplyJobs under the project's lock, in a transaction of its own. */
export async function queueApply(t: TestApp, projectId: string, createdById: string | null) {
  const app = t.fieldbase.app;
  return app.get(DataSource).transaction(async (tx) => {
    const jobs = app.get(JobsRepository);
    const project = (await jobs.withinTx(tx).lockProject(projectId))!;
    return queueApplyJobs(
      tx,
      { jobs, deltas: app.get(DeltasRepository), accounts: app.get(AccountsRepository), defaultQuotaBytes: t.config.defaultStorageQuotaBytes },
      project,
      createdById,
    );
  });
}

export interface DeltaRow {
  id: string;
  status: string;
  job_id: string | null;
  attempts: number;
  last_feedback: Record<string, any> | null;
  modified_pk: string | null;
}

export async function deltaRows(sql: Sql, ids: string[]): Promise<DeltaRow[]> {
  const rows = await sql<DeltaRow>(`SELECT id, status, job_id, attempts, last_feedback, modified_pk FROM deltas WHERE id = ANY($1::uuid[]) ORDER BY seq`, [
    ids,
  ]);
  return rows;
}

const STAND_IN = `
import json, os, signal, sys, time

workdir, state = sys.argv[1], sys.argv[2]
job = json.load(open(os.path.join(workdir, "job.json")))
files = os.path.join(workdir, "files")
tests = [d["content"].get("test") or "" for d in job["deltas"]]
print("stand-in apply_deltas: %d delta(s)" % len(job["deltas"]), flush=True)

def once(name):
    marker = os.path.join(state, name)
    if os.path.exists(marker):
        return False
    open(marker, "w").close()
    return True

for test in tests:
    if test.startswith("slow:"):
        print("sleeping for the test", flush=True)
        time.sleep(float(test[len("slow:"):]))
if "crash" in tests:
    print("crashing for the test", flush=True)
    sys.exit(1)
if "crash_once" in tests and once("crashed-" + job["deltas"][0]["id"]):
    print("killing myself for the test", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

result = {"feedback": {"feedback_version": "2.0", "steps": [{"id": "apply_deltas", "name": "Apply deltas", "stage": 1, "returns": {}}],
                       "outputs": {"stand_in_job": job, "apply_deltas": {"delta_feedback": []}}},
          "changed_files": []}
if "job_error" in tests:
    result["feedback"]["error"] = "The project could not be read (stand-in)"
    result["feedback"]["error_type"] = "INVALID_PROJECT_FILE"
feedback = result["feedback"]["outputs"]["apply_deltas"]["delta_feedback"]
log = os.path.join(files, "applied.log")
for n, delta in enumerate(job["deltas"]):
    content, test = delta["content"], delta["content"].get("test") or ""
    status = test if test in ("conflict", "not_applied", "error", "weird") else "applied"
    entry = {"delta_id": delta["id"], "status": status, "msg": "%s by the stand-in" % status,
             "conflicts": [{"field": "name", "old": "a", "current": "b", "new": "c"}] if status == "conflict" else [],
             "modified_pk": str(1000 + n) if status == "applied" and content.get("method") == "create" else None}
    if status == "applied":
        with open(log, "a") as out:
            out.write("%s %s %s\\n" % (delta["client_id"], delta["id"], content.get("method")))
        if "applied.log" not in result["changed_files"]:
            result["changed_files"].append("applied.log")
    if test != "drop_feedback":
        feedback.append(entry)
    if test.startswith("list:"):
        listed = test[len("list:"):]
        result["changed_files"].append(listed)
        target = os.path.normpath(os.path.join(files, listed))
        if listed == "link.txt":
            os.symlink("/etc/hostname", target)
        elif not os.path.exists(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "w").write("made by the stand-in")
    if test == "listed_twice":
        feedback.append(entry)

tmp = os.path.join(workdir, "result.json.tmp")
json.dump(result, open(tmp, "w"))
os.rename(tmp, os.path.join(workdir, "result.json"))
`;

/**
 * A QGIS_PYTHON for the worker tests: /usr/bin/python3 with real QGIS for every script but
 * apply_deltas.py, which a stand-in (no QGIS) replaces. Per delta, its `content.test` says what to do:
 * "" append a line `clientId id method` to files/applied.log and answer applied (modified_pk 1000+n
 * for a create); conflict / not_applied / error answer that and change nothing; slow:<s> sleeps <s>
 * seconds first; crash exits 1; crash_once is killed by SIGKILL the first time; job_error answers a job-level
 * error; drop_feedback, listed_twice, weird break delta_feedback; list:<path> lists a changed file
 * (link.txt is a symlink out of the folder). Its job.json comes back in feedback.outputs.stand_in_job.
 */
export function standInPython(): { python: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-apply-stand-in-'));
  const state = path.join(dir, 'state');
  fs.mkdirSync(state);
  fs.writeFileSync(path.join(dir, 'apply_deltas_stand_in.py'), STAND_IN);
  const python = path.join(dir, 'python3');
  fs.writeFileSync(
    python,
    `#!/bin/sh\ncase "$1" in */apply_deltas.py) exec /usr/bin/python3 "${dir}/apply_deltas_stand_in.py" "$2" "${state}";; esac\nexec /usr/bin/python3 "$@"\n`,
    { mode: 0o755 },
  );
  return { python, dir };
}
