import { createGuard, redisStore } from '@ja4guard/guard';
import { KEY_PREFIX } from './app.js';
import { connectRedis, waitForRedis } from './redis.js';

// Usage: pnpm ban <ja4 or pattern> [ttlSeconds]   |   pnpm unban <ja4 or pattern>
// Writes to the blocklist in Redis; running instances pick the change up
// through pub/sub. Useful when your own client is banned and the admin
// route therefore closes its connections.
const [command, value, ttlText] = process.argv.slice(2);
if ((command !== 'add' && command !== 'remove') || value === undefined) {
  console.error('Usage: pnpm ban <ja4 or pattern> [ttlSeconds], or pnpm unban <ja4 or pattern>');
  process.exit(2);
}
const ttlSeconds = ttlText === undefined ? undefined : Number(ttlText);
if (ttlSeconds !== undefined && !(ttlSeconds > 0)) {
  console.error(`Invalid ttlSeconds ${ttlText}: expected a number of seconds above 0.`);
  process.exit(2);
}

const redis = connectRedis();
try {
  await waitForRedis(redis);
  const guard = createGuard({ store: redisStore(redis), keyPrefix: KEY_PREFIX });
  if (command === 'add') {
    await guard.blocklist.add(value, { ttlSeconds, reason: 'blocklist script' });
    console.log(`Banned ${value}${ttlSeconds === undefined ? '' : ` for ${ttlSeconds} s`}.`);
  } else {
    await guard.ready();
    const removed = await guard.blocklist.remove(value);
    console.log(removed ? `Removed ${value}.` : `${value} was not on the blocklist.`);
  }
  await guard.close();
} catch (error) {
  console.error(`Blocklist ${command} failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  redis.disconnect();
}
