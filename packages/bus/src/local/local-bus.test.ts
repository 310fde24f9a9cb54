import { requireService } from '@kith/testkit';
import { runBusContract } from '../testing/bus-contract.js';
import { localPgliteHarness, localPostgresHarness } from '../testing/harness.js';

const url = await requireService('postgres');

runBusContract('local bus on Postgres', async () => (url ? localPostgresHarness(url) : undefined));
runBusContract('local bus on PGlite', () => localPgliteHarness());
