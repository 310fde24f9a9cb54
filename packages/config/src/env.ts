import fs from 'node:fs';
import type { z } from 'zod';

/** Thrown by loadEnv with every problem found, one `KEY: message` per line. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadEnvOptions {
  /** Reads a mounted secret file; defaults to fs.readFileSync(path, 'utf8'). */
  fileReader?: (path: string) => string;
}

type Env = Record<string, string | undefined>;

// Keys whose values are scrubbed from error text; URLs are included because they carry passwords.
const SECRET_LIKE_KEY = /SECRET|PASSWORD|TOKEN|KEY|CREDENTIAL|URL|DSN/i;

/**
 * Validates the environment against a zod object schema in one step.
 *
 * For every key X of the schema, X_FILE (a Kubernetes/Docker mounted secret) is read into X.
 * Empty strings count as unset, so `PORT=` in a .env file falls back to the default.
 * Every problem is collected before throwing, so an operator fixes them all in one go.
 */
export function loadEnv<S extends z.ZodObject>(
  schema: S,
  env: Env = process.env,
  { fileReader = readSecretFile }: LoadEnvOptions = {},
): z.output<S> {
  const problems: string[] = [];
  const input: Record<string, string> = {};
  const secretValues: string[] = [];

  for (const key of Object.keys(schema.shape)) {
    const direct = nonEmpty(env[key]);
    const filePath = nonEmpty(env[`${key}_FILE`]);
    if (direct !== undefined && filePath !== undefined) {
      problems.push(`${key}: set either ${key} or ${key}_FILE, not both`);
      continue;
    }
    if (filePath !== undefined) {
      try {
        const value = fileReader(filePath).replace(/\r?\n$/, '');
        input[key] = value;
        secretValues.push(value);
      } catch (error) {
        problems.push(`${key}: cannot read ${key}_FILE (${describeReadError(error)})`);
      }
      continue;
    }
    if (direct !== undefined) input[key] = direct;
  }

  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
      problems.push(`${key}: ${issue.message}`);
    }
  }
  if (problems.length > 0) {
    // zod does not echo inputs, but custom refinements might; scrub anything that looks like a
    // value we were given so a secret can never reach a log through an error message.
    const values = [
      ...secretValues,
      ...Object.entries(input)
        .filter(([key]) => SECRET_LIKE_KEY.test(key))
        .map(([, value]) => value),
    ].filter((v) => v.length >= 4);
    throw new ConfigError(problems.map((p) => scrub(p, values)));
  }
  return (result as { data: z.output<S> }).data;
}

function readSecretFile(path: string): string {
  return fs.readFileSync(path, 'utf8');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'read failed';
}

function scrub(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) out = out.split(value).join('[redacted]');
  return out;
}
