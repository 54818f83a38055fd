// ES module app: loads memjs with import, then serves the scripted steps.
import steps from './cache-memjs-steps.js';

const { default: memjs } = await import('memjs');
steps.serve(memjs);
