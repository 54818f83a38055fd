export { start, current, type Autoprom } from './preload';
export { parseConfig, type Config } from './config';
export { CATALOGUE, type FamilySpec } from './catalogue';
export { measureCache } from './cache/measure';
