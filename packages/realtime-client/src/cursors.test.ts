import assert from 'node:assert/strict';
import { test } from 'vitest';
import { chunkCursors, TopicCursors } from './cursors.js';

const topic = 'notifications';

function following(last: bigint): TopicCursors {
  const cursors = new TopicCursors();
  cursors.want(topic);
  cursors.confirm(topic, last, true);
  return cursors;
}

test('new topics start at seq 0 and each is wanted once', () => {
  const cursors = new TopicCursors();
  assert.equal(cursors.want('user'), true);
  assert.equal(cursors.want('user'), false);
  assert.deepEqual(cursors.cursors(), [{ topic: 'user', seq: 0n }]);
});

test('the next seq is delivered and a seq not above the highest seen is a duplicate', () => {
  const cursors = following(4n);
  assert.deepEqual(cursors.onEvent(topic, 5n), { kind: 'deliver' });
  assert.deepEqual(cursors.onEvent(topic, 5n), { kind: 'duplicate' });
  assert.deepEqual(cursors.onEvent(topic, 2n), { kind: 'duplicate' });
  assert.equal(cursors.lastSeq(topic), 5n);
});

test('frames of a topic not wanted are dropped', () => {
  assert.deepEqual(new TopicCursors().onEvent('user', 1n), { kind: 'unwanted' });
});

test('a hole asks for one Resume from the last seq seen, and later frames wait for the replay', () => {
  const cursors = following(4n);
  assert.deepEqual(cursors.onEvent(topic, 7n), { kind: 'resume', from: 4n });
  assert.deepEqual(cursors.onEvent(topic, 8n), { kind: 'held' });
  assert.deepEqual(cursors.onEvent(topic, 9n), { kind: 'held' });
  assert.equal(cursors.lastSeq(topic), 4n);
  // The replay fills it in order.
  for (const seq of [5n, 6n, 7n])
    assert.deepEqual(cursors.onEvent(topic, seq), { kind: 'deliver' });
});

test('a hole the answered Resume did not fill is skipped and reported, not asked again', () => {
  const cursors = following(4n);
  cursors.onEvent(topic, 7n);
  cursors.holeAnswered(topic);
  assert.deepEqual(cursors.onEvent(topic, 8n), { kind: 'skip', from: 5n, to: 7n });
  assert.equal(cursors.lastSeq(topic), 8n);
  // A new hole further on gets its own Resume.
  assert.deepEqual(cursors.onEvent(topic, 10n), { kind: 'resume', from: 8n });
});

test('a Gap counts its to_seq as seen; only a cursor-ahead Gap moves the cursor back', () => {
  const cursors = following(4n);
  cursors.onEvent(topic, 9n);
  cursors.onGap(topic, 8n, false);
  assert.deepEqual(cursors.onEvent(topic, 9n), { kind: 'deliver' });
  cursors.onGap(topic, 3n, false);
  assert.equal(cursors.lastSeq(topic), 9n);
  cursors.onGap(topic, 3n, true);
  assert.equal(cursors.lastSeq(topic), 3n);
});

test('a Subscribe head counts as seen; a Resume from a cursor keeps the cursor for the replay', () => {
  const cursors = new TopicCursors();
  cursors.want('user');
  cursors.want(topic);
  cursors.confirm('user', 12n, true);
  assert.equal(cursors.lastSeq('user'), 12n);
  cursors.onGap(topic, 3n, false);
  cursors.confirm(topic, 12n, false);
  assert.equal(cursors.lastSeq(topic), 3n);
  assert.equal(cursors.isConfirmed(topic), true);
});

test('a Resume from cursor 0 keeps the cursor at 0, so the replay from seq 1 is delivered', () => {
  const cursors = new TopicCursors();
  cursors.want(topic);
  cursors.confirm(topic, 12n, false);
  assert.equal(cursors.lastSeq(topic), 0n);
  assert.equal(cursors.isConfirmed(topic), true);
  // The gateway replays 1..12 (every frame it still holds), then live frames follow.
  for (let seq = 1n; seq <= 13n; seq += 1n)
    assert.deepEqual(cursors.onEvent(topic, seq), { kind: 'deliver' });
  assert.equal(cursors.lastSeq(topic), 13n);
});

test('a new socket forgets pending holes (its Resume covers them)', () => {
  const cursors = following(4n);
  cursors.onEvent(topic, 7n);
  cursors.resetHoles();
  assert.deepEqual(cursors.onEvent(topic, 7n), { kind: 'resume', from: 4n });
});

test('cursors are sent in chunks of at most 100', () => {
  const cursors = Array.from({ length: 250 }, (_, i) => ({ topic: `t${i}`, seq: 0n }));
  assert.deepEqual(
    chunkCursors(cursors).map((chunk) => chunk.length),
    [100, 100, 50],
  );
  assert.deepEqual(chunkCursors([]), []);
});
