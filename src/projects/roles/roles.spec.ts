import { may, PERMISSIONS, PROJECT_ROLES, type ProjectAction, type ProjectRole } from './roles.js';

// The permission table of spec §6.4, written out once more by hand so a slip in PERMISSIONS shows.
const EXPECTED: Record<ProjectAction, ProjectRole[]> = {
  read: ['admin', 'manager', 'editor', 'reporter', 'reader'],
  uploadThumbnail: ['admin', 'manager', 'editor', 'reporter'],
  uploadFiles: ['admin', 'manager', 'editor', 'reporter'],
  modifyRestrictedFiles: ['admin', 'manager'],
  deleteFiles: ['admin', 'manager', 'editor'],
  update: ['admin', 'manager'],
  manageCollaborators: ['admin', 'manager'],
  delete: ['admin'],
  // Jobs (§10.2): every role may ask for a package; process_projectfile and delta_apply need reporter or more.
  triggerPackage: ['admin', 'manager', 'editor', 'reporter', 'reader'],
  triggerJobs: ['admin', 'manager', 'editor', 'reporter'],
  // Deltas (§11.2): reporters push (their creates apply) but their patches and deletes are not permitted.
  deltas: ['admin', 'manager', 'editor', 'reporter'],
  changeFeatures: ['admin', 'manager', 'editor'],
};

describe('project permissions (spec §6.4)', () => {
  it('lists the roles highest first', () => {
    expect(PROJECT_ROLES).toEqual(['admin', 'manager', 'editor', 'reporter', 'reader']);
  });

  it('covers exactly the actions of the spec', () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const action of Object.keys(EXPECTED) as ProjectAction[]) {
    it(`${action}: allowed to ${EXPECTED[action].join(', ')} and no one else`, () => {
      for (const role of PROJECT_ROLES) expect([role, may(role, action)]).toEqual([role, EXPECTED[action].includes(role)]);
    });
  }

  it('a caller without a role may do nothing, not even read', () => {
    for (const action of Object.keys(EXPECTED) as ProjectAction[]) expect(may(null, action)).toBe(false);
  });

  it('a higher role may do everything a lower one may', () => {
    for (const action of Object.keys(EXPECTED) as ProjectAction[]) {
      const allowed = PROJECT_ROLES.map((role) => may(role, action));
      expect(allowed).toEqual([...allowed].sort((a, b) => Number(b) - Number(a)));
    }
  });
});
