export * from './builders.ts';
export * from './duration.ts';
export * from './graph.ts';
export * from './match.ts';
export * from './program.ts';
export * from './schema.ts';
export * from './validate.ts';
