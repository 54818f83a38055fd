// The end-to-end app as an ES module: express, pg and ioredis come in through `import`.
import { createRequire } from 'node:module';
import express from 'express';
import pg from 'pg';
import Redis from 'ioredis';

createRequire(import.meta.url)('./e2e-routes.js')({ express, Pool: pg.Pool, Redis });
