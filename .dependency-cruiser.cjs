/**
 * The module graph (docs/architecture.md, "Where the code lives"): each folder of src/ may import the
 * folders before it in LAYERS, never one after it, and nothing imports the composition roots. Run by
 * test/architecture.spec.ts, so a cycle or an upward import fails `npm test`. Folders listed here
 * that do not exist yet (jobs, packages, deltas, worker) are the modules to come, in their place.
 */
const LAYERS = [
  ['config'],
  ['database'],
  ['common'],
  ['storage'],
  ['auth'],
  ['accounts'],
  ['organizations'],
  ['projects'],
  ['collaborators'],
  ['jobs'],
  ['files'],
  ['packages', 'deltas'],
  ['worker'],
];

/** Composition roots: they may import anything; no module imports them. */
const ROOTS = [
  'src/status/',
  'src/main\\.ts$',
  'src/app\\.module\\.ts$',
  'src/app\\.factory\\.ts$',
  'src/cli\\.ts$',
  'src/entities\\.ts$',
  'src/worker-main\\.ts$',
  'ormconfig\\.ts$',
];

const folder = (names) => `^src/(${names.join('|')})/`;
const ALL = LAYERS.flat();

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer.join('-')}`,
  comment: `${layer.join(', ')} may import only ${LAYERS.slice(0, i).flat().join(', ') || 'no other module'}`,
  severity: 'error',
  from: { path: folder(layer) },
  to: { path: folder(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle, within a module or across modules',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'no-importing-roots',
      comment: 'The composition roots sit at the top: only another root may import them',
      severity: 'error',
      from: { path: '^src/', pathNot: `(${ROOTS.join('|')})` },
      to: { path: `(${ROOTS.join('|')})` },
    },
    {
      name: 'module-not-in-graph',
      comment: 'A new folder under src/ must take its place in LAYERS (.dependency-cruiser.cjs) first',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: `(${folder(ALL)}|^src/status/)` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^src/database/migrations/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};
