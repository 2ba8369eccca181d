import { ObjectNotFound, PermissionDenied } from '../common/errors.js';
import type { DeltasRepository } from './deltas.repository.js';

/** Spec §6.4: nobody pushes or lists deltas of a template project (403), whatever their role. */
export async function refuseTemplateProject(deltas: DeltasRepository, projectId: string): Promise<void> {
  const projectType = await deltas.projectType(projectId);
  if (projectType === null) throw new ObjectNotFound('No such project');
  if (projectType === 'template') throw new PermissionDenied('Template projects have no deltas');
}
