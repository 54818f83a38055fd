// recordModelOperation from the package API, for a store that does not go through pg.
'use strict';
const { recordModelOperation } = require('../../dist/src/index.js');

recordModelOperation('ap_api_doc', 'insert');
recordModelOperation('ap_api_doc', 'insert', 2);
recordModelOperation('ap_api_doc', 'update');
recordModelOperation('ap_api_doc', 'delete', 3);
recordModelOperation('x'.repeat(500), 'delete');
recordModelOperation('ap_api_doc', 'upsert');
recordModelOperation('ap_api_doc', 'insert', -1);
recordModelOperation('ap_api_doc', 'insert', NaN);
recordModelOperation('', 'insert');
recordModelOperation(undefined, 'insert');
process.stdout.write(`READY ${JSON.stringify({})}\n`);
setInterval(() => {}, 1000);
