import type { Command } from 'commander';

/** Every CLI command: a function that adds itself to the program. */
export const commands: Array<(program: Command) => void> = [];
