import { requireService } from '@kith/testkit';
import { runBusContract } from '../testing/bus-contract.js';
import { natsHarness } from '../testing/harness.js';

const url = await requireService('nats');

runBusContract('JetStream', async () => (url ? natsHarness(url) : undefined));
