/**
 * The command line after the script, for `parseArgs({ args })`: `pnpm bench:x -- --duration 3`
 * hands the `--` on, and parseArgs would take every option after it for a positional.
 */
export const benchArgs = () => process.argv.slice(2).filter((arg) => arg !== '--');
