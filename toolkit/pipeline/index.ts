export { fuseCommand, type FuseCommandOptions, type FuseReport } from './fuse.ts';
