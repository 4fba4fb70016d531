// The wire layer: pure functions and the framer, no I/O (DESIGN.md "Layers").
export * from './framer.ts';
export * from './line.ts';
export * from './errors.ts';
export * from './names.ts';
export * from './md5.ts';
export * from './challenge.ts';
export * from './dialects.ts';
export * from './mime.ts';
