import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { toJsonString } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { startAuthHarness } from '@kith/auth-service/testing';
import type { AuthHarness } from '@kith/auth-service/testing';
import { gatewayModule } from '@kith/gateway';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import {
  ErrorCode,
  PostChange,
  ServerFrameSchema,
  UnsubscribeReason,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { postModule } from '@kith/post-service';
import { userModule } from '@kith/user-service';
import { waitFor } from '@kith/testkit';
import type { WebSocket } from 'ws';
import { openSocket, subscribeFrame } from './sockets.js';
import type { TestSocket } from './sockets.js';

// Auth, user, post and the gateway in one embedded process: a post's topic carries its edits,
// replies and counts, never its content, to whoever may read the post, and ends when they may
// no longer (the post deleted, its audience narrowed, a block).

const pub = { kind: { case: 'public' as const, value: {} } };
const followers = { kind: { case: 'followers' as const, value: {} } };

describe('post topics from real services', () => {
  let h: AuthHarness;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    h = await startAuthHarness({ modules: [userModule, postModule, gatewayModule] });
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await h.stop();
  });

  async function person() {
    const account = await h.signUp();
    const { transport } = h.as(account.accessToken);
    return {
      ...account,
      posts: createClient(PostService, transport),
      users: createClient(UserService, transport),
      socket: () => openSocket(h.url, account.accessToken, sockets),
    };
  }

  /** Subscribe's answer: 'subscribed', or the Error's code. */
  async function subscribe(socket: TestSocket, topic: string): Promise<'subscribed' | ErrorCode> {
    const from = socket.frames.length;
    socket.send(subscribeFrame(topic));
    const answer = await socket.next((f) => f.type === 'subscribed' || f.type === 'error', from);
    return answer.payload.case === 'error' ? answer.payload.value.code : 'subscribed';
  }

  const accessLost = (topic: string) => (f: ServerFrame) =>
    f.payload.case === 'unsubscribed' &&
    f.payload.value.reason === UnsubscribeReason.ACCESS_LOST &&
    f.payload.value.topics.includes(topic);

  const eventFrames = (socket: TestSocket, topic: string) =>
    socket.frames.filter((f) => f.topic === topic && f.seq > 0n);

  test('a reader of a public post gets its edit, likes and replies as ids and counts; its deletion ends the topic', async () => {
    const ana = await person();
    const bo = await person();
    const cy = await person();
    const { post } = await bo.posts.createPost({ text: 'first draft of the walk', audience: pub });
    const postId = post!.postId;
    const topic = `post:${postId}`;
    const socket = await ana.socket();
    assert.equal(await subscribe(socket, topic), 'subscribed');

    await bo.posts.editPost({
      postId,
      text: 'the walk starts at nine',
      updateMask: { paths: ['text'] },
    });
    const edited = await socket.next((f) => f.topic === topic && f.payload.case === 'post');
    assert.deepEqual(
      edited.payload.case === 'post' && [
        edited.payload.value.postId,
        edited.payload.value.change,
        edited.payload.value.authorUserId,
        edited.payload.value.revision,
      ],
      [postId, PostChange.EDITED, bo.userId, 2],
    );

    await cy.posts.like({ postId });
    const liked = await socket.next((f) => f.topic === topic && f.payload.case === 'postCounts');
    const likes = liked.payload.case === 'postCounts' ? liked.payload.value : undefined;
    assert.deepEqual([likes?.postId, likes?.likeCount, likes?.replyCount], [postId, 1, undefined]);

    const { post: reply } = await cy.posts.createPost({
      text: 'see you there',
      replyToPostId: postId,
    });
    const created = await socket.next(
      (f) =>
        f.topic === topic &&
        f.payload.case === 'post' &&
        f.payload.value.change === PostChange.CREATED,
    );
    assert.deepEqual(
      created.payload.case === 'post' && [
        created.payload.value.postId,
        created.payload.value.authorUserId,
        created.payload.value.replyToPostId,
        created.payload.value.rootPostId,
      ],
      [reply!.postId, cy.userId, postId, postId],
    );
    const replies = await socket.next(
      (f) => f.payload.case === 'postCounts' && f.payload.value.replyCount !== undefined,
    );
    assert.equal(replies.payload.case === 'postCounts' && replies.payload.value.replyCount, 1);

    // Ids, changes, revisions and counts only: never the text, nor who liked.
    for (const frame of eventFrames(socket, topic)) {
      const json = toJsonString(ServerFrameSchema, frame);
      assert.doesNotMatch(json, /walk|nine|see you/);
      if (frame.payload.case === 'postCounts') assert.doesNotMatch(json, new RegExp(cy.userId));
    }

    await bo.posts.deletePost({ postId });
    const deleted = await socket.next(
      (f) =>
        f.topic === topic &&
        f.payload.case === 'post' &&
        f.payload.value.change === PostChange.DELETED,
    );
    const ended = await socket.next(accessLost(topic));
    assert.ok(socket.frames.indexOf(ended) > socket.frames.indexOf(deleted));
    const seqs = eventFrames(socket, topic).map((f) => f.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => seqs[0]! + BigInt(i)),
      'dense per topic',
    );
    // A deleted post's topic is refused like one that never existed.
    assert.equal(await subscribe(socket, topic), ErrorCode.FORBIDDEN_TOPIC);
  });

  test('a followers-only post’s topic is refused to a stranger; narrowing a public post ends a stranger’s subscription', async () => {
    const ana = await person();
    const bo = await person();
    const stranger = await person();
    await ana.users.follow({ userId: bo.userId });
    const { post: private_ } = await bo.posts.createPost({
      text: 'for my followers',
      audience: followers,
    });
    // Post learns of the follow from user's event.
    await waitFor(
      () =>
        ana.posts.getPost({ postId: private_!.postId }).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 10_000, what: 'the post service knows ana follows bo' },
    );
    const anaSocket = await ana.socket();
    const strangerSocket = await stranger.socket();
    assert.equal(await subscribe(anaSocket, `post:${private_!.postId}`), 'subscribed');
    assert.equal(
      await subscribe(strangerSocket, `post:${private_!.postId}`),
      ErrorCode.FORBIDDEN_TOPIC,
    );

    const { post } = await bo.posts.createPost({ text: 'open for now', audience: pub });
    const topic = `post:${post!.postId}`;
    assert.equal(await subscribe(anaSocket, topic), 'subscribed');
    assert.equal(await subscribe(strangerSocket, topic), 'subscribed');
    await bo.posts.editPost({
      postId: post!.postId,
      audience: followers,
      updateMask: { paths: ['audience'] },
    });
    await strangerSocket.next(accessLost(topic));
    const edited = await anaSocket.next((f) => f.topic === topic && f.payload.case === 'post');
    assert.equal(edited.payload.case === 'post' && edited.payload.value.change, PostChange.EDITED);
    // The follower stays on the topic; the stranger hears nothing more of it.
    const strangerHad = eventFrames(strangerSocket, topic).length;
    await ana.posts.like({ postId: post!.postId });
    await anaSocket.next((f) => f.topic === topic && f.payload.case === 'postCounts');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(eventFrames(strangerSocket, topic).length, strangerHad);
    assert.ok(!anaSocket.frames.some(accessLost(topic)));
    assert.equal(await subscribe(strangerSocket, topic), ErrorCode.FORBIDDEN_TOPIC);
  });

  test('a block ends the blocked reader’s subscription to the blocker’s post', async () => {
    const ana = await person();
    const bo = await person();
    const { post } = await bo.posts.createPost({ text: 'not for ana soon', audience: pub });
    const topic = `post:${post!.postId}`;
    const socket = await ana.socket();
    assert.equal(await subscribe(socket, topic), 'subscribed');
    await bo.users.block({ userId: ana.userId });
    await socket.next(accessLost(topic));
    assert.equal(await subscribe(socket, topic), ErrorCode.FORBIDDEN_TOPIC);
  });
});
