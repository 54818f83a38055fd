export { start, current, type Autoprom } from './preload';
export { parseConfig, type Config } from './config';
export { CATALOGUE, type FamilySpec } from './catalogue';
export { metricsHandler, measureCache, recordModelOperation, type ModelOperation } from './api';
