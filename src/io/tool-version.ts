/** The name and version of this tool, from its package.json (src/io and dist/io sit two levels below it). */
import { readFileSync } from 'node:fs';

export const TOOL_NAME = 'oc-explain';

let version: string | null = null;

export function toolVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
  return version;
}
