import { ValidationFailed } from '../common/errors.js';

export const SHARED_DATASETS = 'shared_datasets';
const PROJECT_NAME = /^[A-Za-z0-9._-]{1,255}$/;

/** Project names (spec §5.1): 1–255 of letters, digits, ".", "_" and "-". */
export function assertProjectName(name: string): void {
  if (!PROJECT_NAME.test(name)) throw ValidationFailed.field('name', 'Must be 1–255 characters: letters, digits, ".", "_" or "-"');
}

/** The project type a name implies: the exact name `shared_datasets` makes a shared_datasets project. */
export function isSharedDatasetsName(name: string): boolean {
  return name === SHARED_DATASETS;
}
