// What a published tarball must not hold: tests, their fixtures and helpers, experiment and
// maintenance scripts. Paths are as `tar -tzf` lists them (`package/...`).
const STRAY = [
  /\.test\.[cm]?[jt]s$/,
  /\.test-d\.ts$/,
  /(^|\/)test-fixtures\//,
  /(^|\/)fixtures\//,
  /(^|\/)experiments\//,
  /^package\/(test|tests|scripts|bench)\//,
  /\.py$/,
];

/** The entries of a tarball listing that a user of the package never needs. */
export function strayFiles(paths) {
  return paths.filter((path) => STRAY.some((pattern) => pattern.test(path)));
}
