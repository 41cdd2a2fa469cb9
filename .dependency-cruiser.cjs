/* global module */
/**
 * The layering of medals, checked by `npm run lint` (so by `npm test`): dependency-cruiser reads
 * every import of functions/, native/, workflows/ and models/ (tests may import anything).
 *
 * LAYERS lists the folders from the bottom up. A module may import from its own folder and from
 * folders listed before it, never from one listed after it: an import that runs up the layers
 * fails the lint, and since the order is total no loop between folders can form. Sub-folders
 * (functions/lib/image/npz, functions/steps/segment/text, ...) belong to the layer above them;
 * a folder-level rule keeps those from forming loops too.
 */

/** Bottom first. */
const LAYERS = [
  // The C++ addon's typed surface: a leaf, it imports nothing of medals.
  'native',
  // Libraries the steps share, each only above what it uses.
  'functions/lib/core',
  'functions/lib/storage',
  'functions/lib/case',
  'functions/lib/geometry',
  // Medal S's rules as data: low, so that reading an image can apply its spacing rules.
  'functions/lib/medal-s',
  'functions/lib/image',
  'functions/lib/resample',
  'functions/lib/prompts',
  'functions/lib/model',
  'functions/lib/stats',
  'functions/lib/metrics',
  'functions/lib/report',
  'functions/lib/cohort',
  // Workflow steps, in workflow order: a step reads only the records of steps before it.
  'functions/steps/validate',
  'functions/steps/preprocess',
  'functions/steps/segment',
  'functions/steps/restore',
  'functions/steps/metrics-report',
  'functions/steps/record-failure',
  'functions/steps/start-case',
  'functions/steps/prepare-sweep',
  'functions/steps/aggregate-sweep',
  // The workflow definitions and the local engine that runs them on the step handlers.
  'workflows',
  // Tools: model generators, the catalog builder, the phantom, submit and the CLI.
  'models/onnx',
  'models/generate',
  'models/catalog',
  'functions/tools/phantom',
  'functions/tools/submit',
  'functions/tools/cli',
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const under = (folders) => `^(${folders.map(escape).join('|')})/`;

const upward = LAYERS.slice(0, -1).map((folder, i) => ({
  name: `layer:${folder}`,
  comment: `${folder}/ may import only from itself and the layers below it (.dependency-cruiser.cjs LAYERS)`,
  severity: 'error',
  from: { path: under([folder]) },
  to: { path: under(LAYERS.slice(i + 1)) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'steps-read-records-only',
      comment:
        'a step uses another step only through its record (record.ts): its logic stays its own; shared logic belongs in functions/lib/',
      severity: 'error',
      from: { path: '^functions/steps/([^/]+)/' },
      to: {
        path: '^functions/steps/',
        pathNot: ['^functions/steps/$1/', '^functions/steps/[^/]+/record\\.ts$'],
      },
    },
    {
      name: 'no-onnxruntime-outside-segment',
      comment:
        'ONNX Runtime is loaded only by the Segment step (and the tools): Preprocess and every library stay free of it',
      severity: 'error',
      from: { path: '^(functions/lib|functions/steps/(?!segment/)|native)' },
      to: { path: 'onnxruntime-node', reachable: true },
    },
    {
      name: 'no-tests-in-product',
      comment: 'test oracles and helpers live with the tests; product code never imports them',
      severity: 'error',
      from: { path: '^(functions|native|workflows|models)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular-folders',
      comment: 'no loop between folders (sub-folders included)',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular',
      comment: 'no loop between modules either, types included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(test|dist|models/generated|native/build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
