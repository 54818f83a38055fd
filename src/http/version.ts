/** Reported as the instrumentation version of autoprom's own framework instrumentations. */
export const PACKAGE_VERSION = '0.1.0';
