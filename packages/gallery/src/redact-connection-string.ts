/**
 * A connection string safe to print: the password (in the authority or as a `password=` query
 * parameter) replaced by `***`. Anything that does not parse as a URL is treated as a path.
 *
 * @example
 * redactConnectionString('postgres://app:s3cret@db:5432/faces'); // 'postgres://app:***@db:5432/faces'
 */
export function redactConnectionString(location: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return location;
  // Done with patterns rather than `new URL`, which would re-encode (and so alter) the rest.
  return location
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^@/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}
