// Secrets given inline (NAME) or as a mounted file (NAME_FILE), and the rules every secret must meet.
import { readFileSync } from 'node:fs';
import { bearerTokenPattern } from '../validation.ts';
import { ConfigError } from './error.ts';

/** Secrets shorter than this are guessable or typos; 32 bytes is HS256's key size. */
const minimumSecretBytes = 32;

type SecretName = 'AUTH_SECRET' | 'OPERATOR_TOKEN';

/** A secret from NAME or NAME_FILE (not both), at least 32 bytes; errors name the variable it came from. */
export function secretSetting(
  e: { readonly [variable in SecretName | `${SecretName}_FILE`]?: string | undefined },
  name: SecretName,
): Uint8Array | undefined {
  const value = inlineOrFile(name, e[name], e[`${name}_FILE`]);
  if (value === undefined) return undefined;
  const source = e[name] === undefined ? `${name}_FILE` : name;
  // No generated key has any; pasted ones do, and an inline copy would then differ from the mounted file.
  if (value.trim() !== value) throw new ConfigError(`invalid ${source}: begins or ends with white space; remove it`);
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length < minimumSecretBytes) throw new ConfigError(`invalid ${source}: must be at least ${String(minimumSecretBytes)} bytes, got ${String(bytes.length)}`);
  // Clients send it as a bearer token, which RFC 6750 §2.1 limits to b64token characters; any other could never be presented.
  if (name === 'OPERATOR_TOKEN' && !bearerTokenPattern.test(value)) {
    throw new ConfigError(`invalid ${source}: must consist of letters, digits and - . _ ~ + / (optionally ending in =), as bearer tokens do (RFC 6750)`);
  }
  return new Uint8Array(bytes);
}

/** The value of `name`, else the content of the file `name`_FILE names; both at once is refused. */
export function inlineOrFile(name: string, inline: string | undefined, file: string | undefined): string | undefined {
  if (inline !== undefined && file !== undefined) throw new ConfigError(`invalid ${name}: set ${name} or ${name}_FILE, not both`);
  return inline ?? (file === undefined ? undefined : readSecretFile(`${name}_FILE`, file));
}

/** A secret mounted as a file; `variable` names the setting in errors. */
export function readSecretFile(variable: string, file: string): string {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`invalid ${variable}: cannot read ${file} (${code})`);
  }
  // Files written by editors or `echo` end with a newline that is not part of the secret.
  const secret = content.replace(/\r?\n$/, '');
  if (secret === '') throw new ConfigError(`invalid ${variable}: ${file} is empty`);
  return secret;
}
