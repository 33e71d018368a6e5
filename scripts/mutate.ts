// `npm run mutate`: does the suite catch realistic bugs? Each mutation below is a small edit of src/ (or chart/) that
// breaks one promise of the README. In a scratch copy of the repository, the script applies them one at a
// time, builds, runs the test files that should notice, and reports which test killed each mutation and
// which mutations survived. Needs MONGODB_URI (and helm etc. only if a listed test file needs them).
// `npm run mutate -- <words>` tries only the mutations whose description contains those words.
// Exit status 1 when a mutation survived or no longer applies (its search text is gone from the source).
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Mutation {
  /** The bug it introduces, as a user would report it. */
  readonly bug: string;
  readonly file: string;
  /** Text that must occur exactly once in `file`, and what it becomes. */
  readonly search: string;
  readonly replace: string;
  /** Test files expected to notice. */
  readonly tests: readonly string[];
  /** Only their tests whose titles match (ava --match), where a file's other tests are slow and beside the point. */
  readonly match?: readonly string[];
}

const mutations: readonly Mutation[] = [
  {
    bug: 'If-Match listing tags on a post that does not exist gets 412 instead of its 404',
    file: 'src/http/route.ts',
    search: '        await route.beforeWrite?.(ctx, params);\n',
    replace: '',
    tests: ['test/preconditions.test.ts'],
    match: ['If-Match listing tags gets*'],
  },
  {
    bug: 'a player who may not close a post, sending If-Match with tags, gets 412 instead of 403',
    file: 'src/lfg/service.ts',
    search: '    await this.#closable(id, by);\n',
    replace: '    await this.#open(id);\n',
    tests: ['test/preconditions.test.ts'],
    match: ['If-Match listing tags gets*'],
  },
  {
    bug: 'a new player with the nick of a deleted one, whose cleanup has not run, is told the old post is their own',
    file: 'src/lfg/service.ts',
    search: '    if (ownedBy(post, member)) return',
    replace: '    if (member.nick === post.ownerKey) return',
    tests: ['test/deletions.test.ts'],
    match: ['a new player with the nick*'],
  },
  {
    bug: 'a new player with the nick of a deleted one, whose cleanup has not run, is told they hold its seat',
    file: 'src/lfg/repository.ts',
    search: '    if (holder.memberProfile === undefined || holder.memberProfile === profile) return false;',
    replace: '    if (holder.memberProfile !== \'\') return false;',
    tests: ['test/deletions.test.ts'],
    match: ['a new player with the nick*'],
  },
  {
    bug: 'a chart upgrade that changes only the chart version restarts every MongoDB member',
    file: 'chart/templates/mongodb/statefulset.yaml',
    search: '{{- include "playerfinder.podLabels" (dict "ctx" $ "component" "mongodb") | nindent 8 }}',
    replace: '{{- include "playerfinder.labels" (dict "ctx" $ "component" "mongodb") | nindent 8 }}',
    tests: ['test/chart/render.test.ts'],
    match: ['*no version label*'],
  },
  {
    bug: 'a request waiting on a stalled MongoDB at the shutdown timeout has its connection cut unanswered',
    file: 'src/http/connections.ts',
    search: 'if (response.headersSent || response.destroyed || response.socket === null) continue;',
    replace: 'if (response.headersSent || Date.now() > 0) continue;',
    tests: ['test/process.test.ts'],
    match: ['*stalled MongoDB*'],
  },
  {
    bug: 'a claim whose removal failed during an outage blocks its player for the abandoned age',
    file: 'src/db/claims.ts',
    search: '      this.#unremoved.set(`${claim._id} ${claim.owner ?? \'\'}`, claim);\n',
    replace: '',
    tests: ['test/write-claims.test.ts'],
    match: ['*could not remove*'],
  },
  {
    bug: 'TRACE or PROPFIND answered 501, a server error for a client\'s mistake',
    file: 'src/http/problem.ts',
    search: "const status = ctx.status === 501 ? (allowed === '' ? 404 : 405) : ctx.status;",
    replace: 'const status = ctx.status;',
    tests: ['test/bad-input.test.ts'],
    match: ['*method no route takes*'],
  },
  {
    bug: 'a blank AUTH_SECRET of 40 spaces signs tokens',
    file: 'src/config/secrets.ts',
    search: 'if (value.trim() !== value)',
    replace: 'if (value.trim() === \'never\')',
    tests: ['test/config.test.ts'],
  },
  {
    bug: 'a port in use exits with a stack trace naming no variable',
    file: 'src/main.ts',
    search: "if (error.syscall === 'listen' || error.syscall === 'getaddrinfo') {",
    replace: 'if (error.syscall === \'never\') {',
    tests: ['test/process.test.ts'],
    match: ['*port in use*'],
  },
  {
    bug: 'a deletion losing a race removes the record of the one that won, which then dies unfinished',
    file: 'src/players/repository.ts',
    search: '    if (deleted !== true) return this.#conflictOrMissing(current);',
    replace: '    if (deleted !== true) {\n      await this.#deletions.done(current.incarnation);\n      return this.#conflictOrMissing(current);\n    }',
    tests: ['test/deletions.test.ts'],
    match: ['*loses the race*'],
  },
  {
    bug: 'default page size 50 instead of 20',
    file: 'src/players/schema.ts',
    search: 'limit: wholeNumber(1, 100).default(20)',
    replace: 'limit: wholeNumber(1, 100).default(50)',
    tests: ['test/paging.test.ts'],
  },
  {
    bug: 'any If-None-Match answers 304',
    file: 'src/http/routes/players.ts',
    search: "if (matchesAny(ctx.get('If-None-Match'), representationTag(stored.revision, view))) {",
    replace: "if (ctx.get('If-None-Match') !== '') {",
    tests: ['test/preconditions.test.ts', 'test/players-api.test.ts'],
  },
  {
    bug: 'a PATCH repeating the nick in another letter case writes a new version',
    file: 'src/players/service.ts',
    search: 'this.#replaceIfChanged(current, { ...merged.data, nick: current.player.nick }, now)',
    replace: 'this.#replaceIfChanged(current, merged.data, now)',
    tests: ['test/preconditions.test.ts'],
  },
  {
    bug: 'a title typed with a decomposed accent or full-width letters is another game',
    file: 'src/players/keys.ts',
    search: "value.normalize('NFKC').trim()",
    replace: 'value.trim()',
    tests: ['test/game-titles.test.ts'],
  },
  {
    bug: 'If-Match ignored on writes to resources without an ETag: the write happens anyway',
    file: 'src/http/route.ts',
    search: '      if (entityTagsRefused && listsEntityTags(ctx)) {',
    replace: '      if (entityTagsRefused && listsEntityTags(ctx) && ctx.method === \'TRACE\') {',
    tests: ['test/preconditions.test.ts'],
  },
  {
    bug: 'a request with two Host lines is served for whichever the server reads first',
    file: 'src/http/request-head.ts',
    search: 'if (hosts > 1) throw',
    replace: 'if (hosts > 2) throw',
    tests: ['test/connections.test.ts'],
    match: ['heads Node would answer*'],
  },
  {
    bug: 'CONNECT closes the connection without an answer',
    file: 'src/service.ts',
    search: "  server.on('connect', connections.refuseTunnel);\n",
    replace: '',
    tests: ['test/connections.test.ts'],
    match: ['CONNECT*'],
  },
  {
    bug: 'a game listed twice on one platform is stored, its hours counted twice in match scores',
    file: 'src/players/schema.ts',
    search: 'const key = `${normaliseKey(game.title)}\\u0000${game.platform}\\u0000${String(game.competitive)}`;',
    replace: 'const key = String(index);',
    tests: ['test/bad-input.test.ts'],
    match: ['a game listed twice*'],
  },
  {
    bug: 'a right-to-left override in a name is stored',
    file: 'src/players/schema.ts',
    search: "const bidiControls = '\\\\u202A-\\\\u202E\\\\u2066-\\\\u2069';",
    replace: "const bidiControls = '';",
    tests: ['test/bad-input.test.ts'],
    match: ['control characters*'],
  },
  {
    bug: 'an Expect the server cannot meet is served as if it were not there',
    file: 'src/http/request-head.ts',
    search: "  if (expectsTheUnmeetable(request)) throw",
    replace: "  if (expectsTheUnmeetable(request) && hosts < 0) throw",
    tests: ['test/connections.test.ts'],
    match: ['heads Node would answer*'],
  },
  {
    bug: 'a query value that is not UTF-8 is searched for with replacement characters',
    file: 'src/http/route.ts',
    search: '  if (undecodable.length > 0) {',
    replace: '  if (undecodable.length < 0) {',
    tests: ['test/bad-input.test.ts'],
    match: ['a query value whose*'],
  },
  {
    bug: 'body nick compared case-sensitively on PUT/PATCH',
    file: 'src/players/service.ts',
    search: 'normaliseKey(bodyNick) !== normaliseKey(pathNick)',
    replace: 'bodyNick !== pathNick',
    tests: ['test/preconditions.test.ts', 'test/players-api.test.ts'],
  },
  {
    bug: '/readyz does not wait for the indexes',
    file: 'src/db/database.ts',
    search: "if (!indexesReady) throw new Error('indexes are not created yet');",
    replace: '',
    tests: ['test/indexes.test.ts'],
  },
  {
    bug: 'pool gauge checked_out counts the wrong way',
    file: 'src/db/mongo.ts',
    search: "client.on('connectionCheckedOut', () => { pool.inc({ state: 'checked_out' }); });\n  client.on('connectionCheckedIn', () => { pool.dec({ state: 'checked_out' }); });",
    replace: "client.on('connectionCheckedOut', () => { pool.dec({ state: 'checked_out' }); });\n  client.on('connectionCheckedIn', () => { pool.inc({ state: 'checked_out' }); });",
    tests: ['test/metrics.test.ts'],
  },
  {
    bug: '/v1/games limit not capped at 100',
    file: 'src/players/schema.ts',
    search: 'limit: wholeNumber(1, maxGameStatsLimit).default(50)',
    replace: 'limit: wholeNumber(1, 1000).default(50)',
    tests: ['test/paging.test.ts'],
  },
  {
    bug: 'out of write retries answers 500 instead of 409',
    file: 'src/players/service.ts',
    search: 'throw new AppError(409, { detail: `"${nick}" is being edited concurrently; retry the request.` });',
    replace: 'throw new Error(`"${nick}" is being edited concurrently; retry the request.`);',
    tests: ['test/preconditions.test.ts'],
  },
  {
    bug: 'every HTTP duration recorded as 0',
    file: 'src/http/envelope.ts',
    search: 'recordRequest(metrics, ctx, status, durationSeconds);',
    replace: 'recordRequest(metrics, ctx, status, 0);',
    tests: ['test/metrics.test.ts'],
  },
  {
    bug: 'HTTP requests in flight never go down',
    file: 'src/http/envelope.ts',
    search: '      inFlight.count -= 1;\n',
    replace: '',
    tests: ['test/metrics.test.ts'],
  },
  {
    bug: 'HTTP durations recorded in milliseconds',
    file: 'src/http/envelope.ts',
    search: 'const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;',
    replace: 'const durationSeconds = Number(process.hrtime.bigint() - started) / 1e6;',
    tests: ['test/metrics.test.ts'],
  },
  {
    bug: 'a weak ETag in If-Match lets a write through',
    file: 'src/http/routes/players.ts',
    search: "const match = revisionsIn(ctx.get('If-Match'), (tag) => tag);",
    replace: "const match = revisionsIn(ctx.get('If-Match'), (tag) => tag.replace(/^W\\//, ''));",
    tests: ['test/preconditions.test.ts', 'test/players-api.test.ts'],
  },
  {
    bug: 'If-Match ignored',
    file: 'src/players/service.ts',
    search: '(precondition !== undefined && !satisfies(precondition, current.revision))',
    replace: '(precondition !== undefined && precondition === undefined)',
    tests: ['test/players-api.test.ts'],
  },
  {
    bug: 'requests answered with a problem (413, 400...) are missing from the HTTP metrics',
    file: 'src/http/envelope.ts',
    search: 'recordRequest(metrics, ctx, status, durationSeconds);',
    replace: 'if (status < 400) recordRequest(metrics, ctx, status, durationSeconds);',
    tests: ['test/bad-input.test.ts'],
  },
  {
    bug: 'an index the README lists is not created',
    file: 'src/players/repository.ts',
    search: "{ key: { age: 1, _id: 1 }, name: 'age_nick' },",
    replace: '',
    tests: ['test/indexes.test.ts'],
  },
  {
    bug: 'indexes dropped under a running service are never created again',
    file: 'src/db/database.ts',
    search: '      const created = await ensureAllIndexes(preparers);\n      if (created.length > 0)',
    replace: '      const created: string[] = [];\n      if (created.length > 0)',
    tests: ['test/indexes.test.ts'],
  },
  {
    bug: 'the MongoDB password is logged at startup',
    file: 'src/db/database.ts',
    search: "{ mongodb: redactUri(settings.uri), database: settings.database }, 'using MongoDB'",
    replace: "{ mongodb: redactUri(settings.uri), database: settings.database, auth: `${settings.credentials?.username ?? ''}:${settings.credentials?.password ?? ''}` }, 'using MongoDB'",
    tests: ['test/process.test.ts'],
    match: ['*never appear*'],
  },
  {
    bug: 'any player\'s token may edit any profile',
    file: 'src/http/authentication.ts',
    search: "if (who.kind === 'player' && typeof owner === 'string' && normaliseKey(owner) === who.nick) return;",
    replace: "if (who.kind === 'player' && typeof owner === 'string') return;",
    tests: ['test/accounts-api.test.ts'],
    match: ['another player*'],
  },
  {
    bug: 'contact details shown to anonymous readers',
    file: 'src/http/routes/players.ts',
    search: "return caller(ctx).kind === 'anonymous' ? 'public' : 'full';",
    replace: "return 'full';",
    tests: ['test/accounts-api.test.ts'],
    match: ['contact is shown*'],
  },
  {
    bug: 'a password change leaves older tokens valid',
    file: 'src/auth/service.ts',
    search: 'if (credential?.id !== claims.credential || credential.incarnation.toHexString() !== claims.incarnation) {',
    replace: 'if (credential?.incarnation.toHexString() !== claims.incarnation) {',
    tests: ['test/accounts-api.test.ts'],
    match: ['a password change retires*'],
  },
  {
    bug: 'an unknown nick answers at once, so timing tells which nicks exist',
    file: 'src/auth/passwords.ts',
    search: 'const match = hashFormat.exec(stored ?? (await this.#dummy));',
    replace: "if (stored === undefined) return false;\n    const match = hashFormat.exec(stored);",
    tests: ['test/accounts-api.test.ts'],
    match: ['an unknown nick gets the same 401*'],
  },
  {
    bug: 'login throttling never engages',
    file: 'src/auth/service.ts',
    search: 'this.#limit + 1)) > this.#limit) {',
    replace: 'this.#limit + 1)) > this.#limit * 1000) {',
    tests: ['test/accounts-api.test.ts'],
    match: ['login throttling*'],
  },
  {
    bug: 'equal match scores in reverse nick order',
    file: 'src/matches/service.ts',
    search: '(a.nickKey < b.nickKey ? -1 : a.nickKey > b.nickKey ? 1 : 0)',
    replace: '(a.nickKey < b.nickKey ? 1 : a.nickKey > b.nickKey ? -1 : 0)',
    tests: ['test/matches-api.test.ts'],
  },
  {
    bug: 'a looking-for-group slot can be taken twice',
    file: 'src/lfg/repository.ts',
    search: '_id: `${post._id}:seat:${String(slot)}`',
    replace: '_id: `${post._id}:seat:${String(slot)}:${claim.memberKey}`',
    tests: ['test/lfg-api.test.ts'],
    match: ['20 players joining*', 'joining takes a free slot*'],
  },
  {
    bug: 'expired looking-for-group posts are still listed',
    file: 'src/lfg/repository.ts',
    search: 'const filter: Filter<PostDocument> = { order: { $gt: after }, expiresAt: { $gt: criteria.now } };',
    replace: 'const filter: Filter<PostDocument> = { order: { $gt: after } };',
    tests: ['test/lfg-api.test.ts'],
    match: ['an expired post*'],
  },
  {
    bug: 'If-None-Match ignored on writes',
    file: 'src/players/service.ts',
    search: '(noneMatch === undefined || !names(noneMatch))',
    replace: 'true',
    tests: ['test/preconditions.test.ts'],
  },
  {
    bug: 'a token revoked while its request body is on the way still writes',
    file: 'src/http/route.ts',
    search: 'await identifyCaller(ctx, settled);\n          authorize(ctx, access, params);',
    replace: '',
    tests: ['test/races.test.ts'],
    match: ['a write whose body arrives*'],
  },
  {
    bug: 'shutdown closes idle keep-alive connections as draining begins, cutting off requests already on their way',
    file: 'src/lifecycle.ts',
    search: 'const lastCallMs = 500;',
    replace: 'const lastCallMs = 0;',
    tests: ['test/shutdown-load.test.ts'],
  },
  {
    bug: 'shutdown closes MongoDB under handlers whose clients have gone away',
    file: 'src/lifecycle.ts',
    search: 'const idle = await options.connections.idle(Math.max(0, drainDeadline - Date.now()));',
    replace: 'const idle = true;',
    tests: ['test/shutdown-load.test.ts'],
  },
  {
    bug: 'two writers both take over one abandoned claim (a player write, a join\'s membership), and both write',
    file: 'src/db/claims.ts',
    search: 'if (!(await this.release(holder, claim.at))) return false;',
    replace: 'await this.#collection.deleteOne({ _id: holder._id } as Filter<T>);',
    tests: ['test/write-claims.test.ts', 'test/races.test.ts', 'test/claims.test.ts'],
    match: ['two writers taking over*', 'concurrent joins of a member whose*', 'concurrent takers*'],
  },
  {
    bug: 'two removers of one seat both delete it, the slower one taking the seat another member has just joined',
    file: 'src/db/claims.ts',
    search: 'if (!(await this.take(record))) return false;',
    replace: 'await this.take(record);',
    tests: ['test/races.test.ts'],
    match: ['a member leaving while the owner*', 'three removers*', 'a deleted player\'s seat freed*'],
  },
  {
    bug: 'a process that died while removing a claim blocks it for good: a member can never leave, a player never be written',
    file: 'src/db/claims.ts',
    search: 'if (!(await this.take(record))) return false;',
    replace: 'if (!(await this.insert(record))) return false;',
    tests: ['test/claims.test.ts', 'test/write-claims.test.ts'],
  },
  {
    bug: 'two removers of a claim made before owners existed both delete it, the slower one the claim that took its place',
    file: 'src/db/claims.ts',
    search: '    const record: T = { ...claim',
    replace: '    if (owner === undefined) return (await this.#collection.deleteOne(itself, this.#limit)).deletedCount > 0;\n    const record: T = { ...claim',
    tests: ['test/claims.test.ts'],
    match: ['a claim recorded without an owner*'],
  },
  {
    bug: 'a join slow enough for its retry to take its membership over keeps its seat, and the member may hold two',
    file: 'src/lfg/service.ts',
    search: 'if (!this.#repository.joinedInTime(joined, this.#now())) {',
    replace: 'if (joined.slot === -1) {',
    tests: ['test/races.test.ts'],
    match: ['a join that took longer*'],
  },
  {
    bug: 'a claim stored but whose answer was lost blocks its own retry: a second seat for the member, "a member already", a player that cannot be written',
    file: 'src/db/claims.ts',
    search: '      if (claim.owner !== undefined) await this.removeOwn(claim);\n',
    replace: '',
    tests: ['test/claims.test.ts', 'test/write-claims.test.ts'],
    match: ['a join whose*', 'a leave whose*', 'a claim stored*'],
  },
  {
    bug: 'a sign-up whose profile insert answer was lost leaves a profile without a password: no one can log in or sign up with that nick',
    file: 'src/auth/service.ts',
    search: '    await this.#repository.createFirst(profile.nick, incarnation, hash, new Date());\n    try {\n      return await this.#players.create(profile, incarnation);',
    replace: '    const stored = await this.#players.create(profile, incarnation);\n    try {\n      await this.#repository.createFirst(profile.nick, incarnation, hash, new Date());\n      return stored;',
    tests: ['test/accounts-api.test.ts'],
    match: ['a sign-up whose profile was stored*'],
  },
  {
    bug: 'a login whose space-saving delete of old attempts fails answers 503',
    file: 'src/auth/repository.ts',
    search: '    await this.#attempts.deleteMany({ at: { $lt: before } }).catch(() => undefined);',
    replace: '    await this.#attempts.deleteMany({ at: { $lt: before } });',
    tests: ['test/accounts-api.test.ts'],
    match: ['a login whose pruning*'],
  },
  {
    bug: 'a password change stored but whose answer was lost answers 503, though the new password is in force',
    file: 'src/auth/service.ts',
    search: 'if (error instanceof CredentialTakenError || !(await this.#inForce(nick, credential.incarnation, hash))) {',
    replace: 'if (error instanceof Error) {',
    tests: ['test/accounts-api.test.ts'],
    match: ['a password change stored*'],
  },
  {
    bug: 'a deletion whose process died (or whose answer was lost) after deleting the profile leaves its posts listed and its slots taken',
    file: 'src/service.ts',
    search: '() => players.finishDeletions()',
    replace: '() => Promise.resolve()',
    tests: ['test/deletions.test.ts'],
  },
  {
    bug: 'a recorded deletion that never happened closes the live player\'s posts',
    file: 'src/players/repository.ts',
    search: 'if ((await this.#players.countDocuments({ _id: pending.nick, incarnation: pending.incarnation }, { limit: 1, ...this.#limit })) > 0) {',
    replace: 'if (pending.nick === \'\') {',
    tests: ['test/deletions.test.ts'],
    match: ['a recorded deletion whose profile still exists*'],
  },
  {
    bug: 'a game title a player takes up while it is being dropped loses its display spelling',
    file: 'src/players/game-titles.ts',
    search: 'if (deletedCount > 0 && (await this.#isPlayed(key))) await this.#record([[key, title.title]]);',
    replace: '',
    tests: ['test/game-titles.test.ts'],
  },
  {
    bug: 'match suggestions for players with many titles take the whole connection pool from the other routes',
    file: 'src/matches/repository.ts',
    search: 'this.#titleQueries = pLimit(maxPoolSize === 0 ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(maxPoolSize / 2)));',
    replace: 'this.#titleQueries = pLimit(Number.POSITIVE_INFINITY);',
    tests: ['test/match-queries.test.ts'],
  },
  {
    bug: 'one match suggestion request for a player with 50 titles queues all 50 queries at once',
    file: 'src/matches/repository.ts',
    search: 'const ofThisRequest = pLimit(titleQueriesPerRequest);',
    replace: 'const ofThisRequest = pLimit(Number.POSITIVE_INFINITY);',
    tests: ['test/match-queries.test.ts'],
  },
  {
    bug: 'a late join of a deleted profile releases the membership of the new player with its nick, who can then hold two seats',
    file: 'src/lfg/repository.ts',
    search: '    if (current?.incarnation.toHexString() === holder.memberProfile) return false;\n',
    replace: '',
    tests: ['test/races.test.ts'],
    match: ['a late join of a deleted profile*'],
  },
  {
    bug: 'the owner of a post cannot remove the seat a deleted member left under a nick since taken again',
    file: 'src/lfg/service.ts',
    search: '    return { post, memberKey, memberProfile: undefined };',
    replace: '    return { post, memberKey, memberProfile: (await this.#players.findByNick(memberKey))?.version.incarnation.toHexString() };',
    tests: ['test/deletions.test.ts'],
    match: ['a new player with the nick*'],
  },
  {
    bug: 'publishes racing past the open-post limit leave a player with more than 10 posts',
    file: 'src/lfg/service.ts',
    search: '(await this.#repository.openPostsOf(owner.nick, owner.profile, now)) <= lfgLimits.maxOpenPostsPerOwner',
    replace: '(await this.#repository.openPostsOf(owner.nick, owner.profile, now)) <= lfgLimits.maxOpenPostsPerOwner + 1',
    tests: ['test/lfg-api.test.ts'],
    match: ['a player has at most 10 open posts*'],
  },
  {
    bug: 'a member seated for a while can join the same post again',
    file: 'src/lfg/repository.ts',
    search: 'const take = () => this.#claimed.take(membership, async () => !(await this.seated(postId, memberKey, profile)));',
    replace: 'const take = () => this.#claimed.take(membership);',
    tests: ['test/claims.test.ts'],
  },
  {
    bug: 'two concurrent leaves of one seat both answer 204, and a member then holds two seats',
    file: 'src/lfg/repository.ts',
    search: 'const seat = await this.#claims.findOne(seatsOf(postId, memberKey, memberProfile), this.#limit);\n    if (seat === null || !(await this.#claimed.release(seat, now))) return false;',
    replace: 'const seat = await this.#claims.findOneAndDelete(seatsOf(postId, memberKey, memberProfile), this.#limit);\n    if (seat === null) return false;',
    tests: ['test/races.test.ts'],
    match: ['one member joining and leaving*'],
  },
  {
    bug: 'a seat taken while its post is being closed outlives the post',
    file: 'src/lfg/repository.ts',
    search: 'if (seat !== undefined && (await this.find(post._id)) !== undefined) return seat;',
    replace: 'if (seat !== undefined) return seat;',
    tests: ['test/races.test.ts'],
    match: ['a post closed while*'],
  },
  {
    bug: 'a post or seat written while its player is deleted outlives the player',
    file: 'src/lfg/service.ts',
    search: 'return (await this.#liveProfile(caller)) !== undefined;',
    replace: 'return caller.nick !== \'\';',
    tests: ['test/races.test.ts'],
    match: ['a player deleted while*', 'a post that lands after*'],
  },
  {
    bug: 'a stale token edits the new profile that took its nick',
    file: 'src/players/service.ts',
    search: 'if (writer !== undefined && !isProfile(current, writer)) throw invalidToken(tokenRevoked);',
    replace: '',
    tests: ['test/races.test.ts'],
    match: ['past the token check*'],
  },
  {
    bug: 'a stale token publishes or joins as the new profile that took its nick',
    file: 'src/lfg/service.ts',
    search: 'return isProfile(stored, caller.profile) ? stored : undefined;',
    replace: 'return stored;',
    tests: ['test/races.test.ts'],
    match: ['past the token check*'],
  },
  {
    bug: 'a password change overtaken by later ones reports success',
    file: 'src/auth/repository.ts',
    search: 'if ((await this.current(previous.nick, previous.incarnation))?.id !== next.id) {',
    replace: "if (next.id === '') {",
    tests: ['test/races.test.ts'],
    match: ['a password change overtaken*'],
  },
  {
    bug: 'a password written while its profile is deleted outlives the profile',
    file: 'src/auth/service.ts',
    search: 'await this.#outliveNoProfile(nick, credential.incarnation);',
    replace: '',
    tests: ['test/races.test.ts'],
    match: ['a password change racing*'],
  },
  {
    bug: 'login attempts stored with the nick as typed: another letter case escapes throttling',
    file: 'src/auth/repository.ts',
    search: 'await this.#attempts.insertOne({ _id, nick: normaliseKey(nick), at: now });',
    replace: 'await this.#attempts.insertOne({ _id, nick, at: now });',
    tests: ['test/accounts-api.test.ts'],
    match: ['login throttling*'],
  },
  {
    bug: 'concurrent logins with the right password are told of failed logins and locked out for the window',
    file: 'src/auth/repository.ts',
    search: '$or: [{ failed: true as const }, { at: { $lt: abandonedBefore } }]',
    replace: '$or: [{ nick: { $exists: true } }, { at: { $lt: abandonedBefore } }]',
    tests: ['test/accounts-api.test.ts'],
    match: ['concurrent logins*'],
  },
  {
    bug: 'control characters (NUL, escape sequences) accepted in names and titles',
    file: 'src/players/schema.ts',
    search: "new RegExp(`^[^\\\\p{Cc}\\\\u2028\\\\u2029${bidiControls}]*$`, 'u')",
    replace: "new RegExp(`^[^\\\\u2028\\\\u2029${bidiControls}]*$`, 'u')",
    tests: ['test/bad-input.test.ts'],
    match: ['control characters*'],
  },
  {
    bug: 'a PUT or PATCH that changes nothing bumps the version, so every cached copy goes stale',
    file: 'src/players/service.ts',
    search: 'return unchanged ? current : this.#repository.replace(current, input, now);',
    replace: 'return unchanged && current.version.version < 0 ? current : this.#repository.replace(current, input, now);',
    tests: ['test/preconditions.test.ts'],
    match: ['a write that changes nothing*'],
  },
  {
    bug: 'a conditional write to a player that is gone answers 412 instead of 404',
    file: 'src/players/service.ts',
    search: '      if (current === undefined) throw missing(nick);',
    replace: '      if (current === undefined) throw precondition?.match === undefined ? missing(nick) : preconditionFailed(nick);',
    tests: ['test/accounts-api.test.ts'],
    match: ['the operator token*'],
  },
  {
    bug: 'a login with the right password answers 503 when its attempt record cannot be forgotten',
    file: 'src/auth/service.ts',
    search: '    await this.#repository.forgetAttempt(attempt).catch(() => undefined);\n',
    replace: '    await this.#repository.forgetAttempt(attempt);\n',
    tests: ['test/accounts-api.test.ts'],
    match: ['a login with the right password whose*'],
  },
  {
    bug: 'a client that expects 100-continue is asked for its body before its token is checked',
    file: 'src/service.ts',
    search: '  holdContinue(server);\n',
    replace: '',
    tests: ['test/connections.test.ts'],
    match: ['Expect: 100-continue*'],
  },
  {
    bug: 'a client that expects 100-continue is asked for a body declared over the limit',
    file: 'src/http/route.ts',
    search: "if (!(Number(ctx.get('Content-Length')) > limitBytes)) inviteBody(ctx.req, ctx.res);",
    replace: 'inviteBody(ctx.req, ctx.res);',
    tests: ['test/connections.test.ts'],
    match: ['Expect: 100-continue*'],
  },
  {
    bug: 'the MongoDB bootstrap keeps a connection to every member it asks, for as long as it runs',
    file: 'chart/files/mongodb/bootstrap.js',
    search: '  } finally {\n    conn.close();\n  }',
    replace: '  } finally {\n  }',
    tests: ['test/chart/mongodb-scripts.test.ts'],
    match: ['replica set: with another member primary*'],
  },
];

interface Outcome {
  readonly mutation: Mutation;
  /** Titles of the failing tests, empty when it survived. */
  readonly killedBy: readonly string[];
  /** Why the mutation could not be tried, if it could not. */
  readonly problem?: string;
}

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const copied = ['src', 'test', 'chart', 'k8s', 'docs', 'README.md', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function run(command: string, args: readonly string[], cwd: string): { code: number; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: process.env.CI ?? 'true' }, maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** Builds dist/ (the process tests run it) and runs the test files; returns the titles of failing tests. */
function failingTests(scratch: string, tests: readonly string[], match: readonly string[] = []): { failed: string[]; buildError?: string; output: string } {
  const build = run(process.execPath, [path.join(scratch, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], scratch);
  if (build.code !== 0) return { failed: [], buildError: build.output.trim(), output: build.output };
  // One file at a time: on a small machine, timing-sensitive tests would otherwise fail for want of CPU.
  const selection = match.flatMap((pattern) => ['--match', pattern]);
  const ava = run(process.execPath, [path.join(scratch, 'node_modules/ava/entrypoints/cli.js'), '--tap', '--concurrency', '1', ...selection, ...tests], scratch);
  const failed = [...ava.output.matchAll(/^not ok \d+ - (.*)$/gm)].map(([, title = '']) => title.trim());
  if (ava.code !== 0 && failed.length === 0) failed.push(`ava exited ${String(ava.code)} without a failing test (a crash or a failed hook)`);
  return { failed, output: ava.output };
}

async function main(): Promise<number> {
  // `npm run mutate -- <words>`: only the mutations whose description contains them.
  const filter = process.argv.slice(2).join(' ');
  const chosen = mutations.filter((mutation) => mutation.bug.includes(filter));
  if (chosen.length === 0) {
    process.stderr.write(`mutate: no mutation is described with "${filter}"\n`);
    return 1;
  }
  if ((process.env.MONGODB_URI ?? '') === '') {
    process.stderr.write('mutate: set MONGODB_URI (a MongoDB or FerretDB the tests can create databases on)\n');
    return 1;
  }
  const scratch = await mkdtemp(path.join(tmpdir(), 'playerfinder-mutate-'));
  try {
    for (const entry of copied) await cp(path.join(repoRoot, entry), path.join(scratch, entry), { recursive: true }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    await symlink(path.join(repoRoot, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');

    // The same selections, unmutated, must pass: otherwise a failure would say nothing about a mutation.
    const selections = new Map<string, { tests: string[]; match: readonly string[] }>();
    for (const { tests, match = [] } of chosen) {
      const key = match.join('\0');
      selections.set(key, { tests: [...new Set([...(selections.get(key)?.tests ?? []), ...tests])], match });
    }
    for (const { tests, match } of selections.values()) {
      process.stdout.write(`baseline: ${tests.join(' ')}${match.length === 0 ? '' : ` --match ${match.join(' ')}`}\n`);
      const baseline = failingTests(scratch, tests, match);
      if (baseline.buildError !== undefined || baseline.failed.length > 0) {
        process.stderr.write(`mutate: the unmutated suite does not pass, so no mutation result would mean anything:\n${baseline.buildError ?? baseline.failed.join('\n')}\n`);
        return 1;
      }
    }

    const outcomes: Outcome[] = [];
    for (const mutation of chosen) {
      const file = path.join(scratch, mutation.file);
      const original = await readFile(file, 'utf8');
      const occurrences = original.split(mutation.search).length - 1;
      if (occurrences !== 1) {
        outcomes.push({ mutation, killedBy: [], problem: `its search text occurs ${String(occurrences)} times in ${mutation.file} (expected once): update the mutation to the current source` });
        continue;
      }
      await writeFile(file, original.replace(mutation.search, () => mutation.replace));
      try {
        const result = failingTests(scratch, mutation.tests, mutation.match);
        outcomes.push(result.buildError === undefined ? { mutation, killedBy: result.failed } : { mutation, killedBy: [], problem: `does not compile:\n${result.buildError}` });
      } finally {
        await writeFile(file, original);
      }
      const last = outcomes.at(-1);
      process.stdout.write(`${last?.problem === undefined ? (last?.killedBy.length === 0 ? 'SURVIVED' : 'killed  ') : 'ERROR   '} ${mutation.bug}\n`);
    }

    process.stdout.write('\nMutation results\n');
    for (const { mutation, killedBy, problem } of outcomes) {
      if (problem !== undefined) process.stdout.write(`- ERROR    ${mutation.bug} (${mutation.file}): ${problem}\n`);
      else if (killedBy.length === 0) process.stdout.write(`- SURVIVED ${mutation.bug} (${mutation.file}); ran ${mutation.tests.join(', ')}\n`);
      else process.stdout.write(`- killed   ${mutation.bug} (${mutation.file}) by:\n${killedBy.map((title) => `    ${title}`).join('\n')}\n`);
    }
    const survived = outcomes.filter((outcome) => outcome.problem === undefined && outcome.killedBy.length === 0).length;
    const errors = outcomes.filter((outcome) => outcome.problem !== undefined).length;
    process.stdout.write(`\n${String(outcomes.length - survived - errors)} killed, ${String(survived)} survived, ${String(errors)} could not be applied\n`);
    return survived + errors > 0 ? 1 : 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

process.exitCode = await main();
