// The layers of src/, lowest first; a module may import its own layer and the ones below it.
// Layers on one line are siblings and do not import each other.
const layers = [
  ['errors', 'io'],
  ['runtime'],
  ['data'],
  ['features', 'ocsvm', 'explain'],
  ['neuralize'],
  ['metrics'],
  ['report'],
  ['run'],
  ['commands'],
  ['cli', 'index'],
];

const path = (name) => `^src/${name}(\\.ts$|/)`;

const forbidden = [
  { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  {
    name: 'no-orphans',
    severity: 'error',
    from: { orphan: true, pathNot: ['\\.d\\.ts$', '(^|/)index\\.ts$', '-worker\\.ts$', '^src/cli\\.ts$'] },
    to: {},
  },
];
layers.forEach((names, level) => {
  const above = layers.slice(level + 1).flat();
  for (const name of names) {
    const siblings = names.filter((other) => other !== name && !(name === 'io' && other === 'errors'));
    const notAllowed = [...above, ...siblings];
    if (notAllowed.length === 0) continue;
    forbidden.push({
      name: `layer-${name}`,
      comment: `${name} may import only the layers below it`,
      severity: 'error',
      from: { path: path(name) },
      to: { path: notAllowed.map(path) },
    });
  }
});

module.exports = {
  forbidden,
  options: {
    includeOnly: '^src/',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
