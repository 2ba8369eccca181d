import { Command } from '@nestjs/cqrs';
import type { Actor } from '../../common/actor.js';
import type { CreatedJob } from '../dto/job.dto.js';

/**
 * Give a project's pending deltas to apply jobs (spec §10.2 `POST /jobs/` with `type=delta_apply`,
 * §11.2 `POST /deltas/apply/{projectid}/`): the new job (created) or the active one. Deltas are the
 * deltas module's, which sits above jobs in the module graph, so the handler lives there
 * (src/deltas/commands/apply-deltas.command.ts) and jobs only sends this command through the bus.
 */
export class ApplyDeltasCommand extends Command<CreatedJob> {
  constructor(
    readonly actor: Actor,
    /** As the client sent it: checked by the handler. */
    readonly projectId: string,
  ) {
    super();
  }
}
