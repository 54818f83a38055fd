// The end-to-end app as CommonJS; runs from a fresh directory with the packed tarball installed.
const express = require('express');
const { Pool } = require('pg');
const Redis = require('ioredis');

require('./e2e-routes.js')({ express, Pool, Redis });
