export { start, current, type Autoprom } from './preload';
export { parseConfig, type Config } from './config';
export { CATALOGUE, type FamilySpec } from './catalogue';
export { metricsHandler } from './export/handler';
export { measureCache } from './cache/measure';
export { recordModelOperation, type ModelOperation } from './db/models-api';
