// Scripted MongoDB members: TCP servers that speak the wire protocol (OP_MSG, and OP_QUERY for the
// legacy handshake) and answer the commands the chart's mongosh scripts and probes send, the way mongod
// documents them. No mongod can run here; these let the real scripts run under the real mongosh.
//
// What each member stands for, and where mongod documents it:
// - `hello` (and legacy `isMaster`): standalone reports isWritablePrimary true; a --replSet member without a
//   config reports isWritablePrimary false, secondary false, isreplicaset true and no setName; a member in
//   a set reports setName, hosts, primary, and secondary true only in SECONDARY (false in STARTUP2 and
//   RECOVERING). https://www.mongodb.com/docs/manual/reference/command/hello/
// - `replSetGetStatus`: fails with 94 NotYetInitialized before a config exists, 76 NoReplicationEnabled on
//   a standalone. https://www.mongodb.com/docs/manual/reference/command/replSetGetStatus/ and the error
//   codes in https://www.mongodb.com/docs/manual/reference/error-codes/
// - `replSetInitiate`: 23 AlreadyInitialized once a config exists; 93 InvalidReplicaSetConfig when the
//   set name differs from --replSet or no member is this node; the initiating node becomes PRIMARY after an
//   election. https://www.mongodb.com/docs/manual/reference/command/replSetInitiate/
// - `replSetReconfig`: primary only (10107 NotWritablePrimary); the version must grow and a non-force
//   reconfig may add or remove at most one voting member (103 NewReplicaSetConfigurationIncompatible).
//   https://www.mongodb.com/docs/manual/reference/command/replSetReconfig/
// - Members learn a config they are part of from the primary's heartbeats, then go STARTUP2 (initial
//   sync) → SECONDARY. https://www.mongodb.com/docs/manual/core/replica-set-sync/
// - With --auth, every command but the handshake, ping and SASL needs an authenticated user (13
//   Unauthorized); SCRAM-SHA-256 per RFC 7677 as mongod implements it; `createUser` needs a writable
//   primary and fails with 51003 when the user exists. https://www.mongodb.com/docs/manual/core/security-scram/
//   https://www.mongodb.com/docs/manual/reference/command/createUser/
// - Unknown commands: 59 CommandNotFound, as mongod answers.
// mongosh 2.x throws on any `ok: 0` answer, even from `runCommand`/`adminCommand` (the driver's
// Db.command() rejects it as a MongoServerError carrying `code`; mongosh's own notes, MONGOSH-320, promised
// that raw runCommand would not throw, which no longer holds). mongodb-scripts.test.ts pins this.
// A member that is Pending or not in DNS yet is a loopback port where nothing listens (mongosh.ts,
// silentHost): resolving a made-up name would send DNS queries off this machine.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { BSON, ObjectId } from 'mongodb';

export type Doc = Record<string, unknown>;

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const MAX_WIRE_VERSION = 25; // MongoDB 8.0

export type MemberState = 'STARTUP2' | 'RECOVERING' | 'PRIMARY' | 'SECONDARY';

export interface ConfigMember {
  readonly _id: number;
  readonly host: string;
  readonly [field: string]: unknown;
}

export interface ReplicaSetConfig {
  readonly _id: string;
  readonly version: number;
  readonly members: readonly ConfigMember[];
  readonly settings?: { readonly replicaSetId?: ObjectId };
  readonly [field: string]: unknown;
}

export interface User {
  readonly db: string;
  readonly user: string;
  readonly pwd: string;
  readonly roles: readonly { role: string; db: string }[];
}

export interface MemberOptions {
  /** mongod --replSet; undefined for a standalone. */
  readonly replSet?: string;
  /** --auth (implied by --keyFile); false for the image's temporary initdb mongod. */
  readonly auth?: boolean;
  readonly users?: readonly User[];
}

class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  constructor(code: number, codeName: string, message: string) {
    super(message);
    this.code = code;
    this.codeName = codeName;
  }
}

interface Session {
  readonly id: number;
  user?: string;
  scram?: { user: User; clientFirstBare: string; serverFirst: string; saltedPassword: Buffer };
}

const openCommands = new Set(['hello', 'ismaster', 'ping', 'buildinfo', 'saslstart', 'saslcontinue', 'endsessions']);

function commandName(body: Doc): string {
  const name = Object.keys(body)[0];
  if (name === undefined) throw new CommandError(59, 'CommandNotFound', 'empty command');
  return name;
}

const decode = (bytes: Buffer): Doc => BSON.deserialize(bytes, { promoteBuffers: true });
const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** One scripted mongod. Its host name is 127.0.0.1:<port>, as it would be listed in a replica-set config. */
export class ScriptedMember {
  /** Every command received, in order: name, body, and when (performance.now(), comparable across members). */
  readonly received: { name: string; body: Doc; at: number }[] = [];
  host = '';
  config: ReplicaSetConfig | undefined;
  state: MemberState | undefined;
  readonly users: User[];
  openConnections = 0;
  maxOpenConnections = 0;
  totalConnections = 0;
  private readonly server = net.createServer((socket) => {
    this.serve(socket);
  });
  private readonly sockets = new Set<net.Socket>();
  private nextConnectionId = 1;
  readonly options: MemberOptions;
  private readonly cluster: ScriptedReplicaSet | undefined;

  constructor(options: MemberOptions = {}, cluster?: ScriptedReplicaSet) {
    this.options = options;
    this.cluster = cluster;
    this.users = [...(options.users ?? [])];
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as net.AddressInfo;
    this.host = `127.0.0.1:${String(address.port)}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  /** How many times a command was received. */
  count(name: string): number {
    return this.received.filter((r) => r.name.toLowerCase() === name.toLowerCase()).length;
  }

  /** Takes a config as it would arrive by heartbeat, then syncs: STARTUP2, and SECONDARY after `syncMs`. */
  adopt(config: ReplicaSetConfig, syncMs: number): void {
    this.config = config;
    this.state = 'STARTUP2';
    setTimeout(() => {
      if (this.state === 'STARTUP2') this.state = 'SECONDARY';
    }, syncMs).unref();
  }

  private serve(socket: net.Socket): void {
    const session: Session = { id: this.nextConnectionId++ };
    this.sockets.add(socket);
    this.openConnections += 1;
    this.totalConnections += 1;
    this.maxOpenConnections = Math.max(this.maxOpenConnections, this.openConnections);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.openConnections -= 1;
    });
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const message = pending.subarray(0, pending.readInt32LE(0));
        pending = pending.subarray(message.length);
        const reply = this.handleMessage(message, session);
        if (reply !== undefined) socket.write(reply);
      }
    });
  }

  private handleMessage(message: Buffer, session: Session): Buffer | undefined {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    if (opCode === OP_QUERY) {
      // flags (4), then the namespace as a C string, numberToSkip and numberToReturn, then the command.
      const nsEnd = message.indexOf(0, 20);
      const body = decode(message.subarray(nsEnd + 9));
      const reply = BSON.serialize(this.answer(body, session, true));
      const header = Buffer.alloc(36);
      header.writeInt32LE(36 + reply.length, 0);
      header.writeInt32LE(requestId, 8);
      header.writeInt32LE(OP_REPLY, 12);
      header.writeInt32LE(1, 32); // numberReturned; flags, cursorId and startingFrom stay 0
      return Buffer.concat([header, reply]);
    }
    if (opCode !== OP_MSG) throw new Error(`unexpected opCode ${String(opCode)}`);
    const flags = message.readUInt32LE(16);
    const end = flags & 1 ? message.length - 4 : message.length;
    let body: Doc = {};
    for (let offset = 20; offset < end; ) {
      const kind = message.readUInt8(offset);
      if (kind === 0) {
        const size = message.readInt32LE(offset + 1);
        body = { ...decode(message.subarray(offset + 1, offset + 1 + size)), ...body };
        offset += 1 + size;
      } else {
        const size = message.readInt32LE(offset + 1);
        const idEnd = message.indexOf(0, offset + 5);
        const id = message.toString('utf8', offset + 5, idEnd);
        const docs: Doc[] = [];
        for (let at = idEnd + 1; at < offset + 1 + size; ) {
          const docSize = message.readInt32LE(at);
          docs.push(decode(message.subarray(at, at + docSize)));
          at += docSize;
        }
        body[id] = docs;
        offset += 1 + size;
      }
    }
    const reply = BSON.serialize(this.answer(body, session, false));
    if (flags & 2) return undefined; // moreToCome: the client expects no answer
    const header = Buffer.alloc(21);
    header.writeInt32LE(21 + reply.length, 0);
    header.writeInt32LE(requestId, 8);
    header.writeInt32LE(OP_MSG, 12);
    return Buffer.concat([header, reply]);
  }

  private answer(body: Doc, session: Session, legacy: boolean): Doc {
    const name = commandName(body);
    this.received.push({ name, body, at: performance.now() });
    try {
      return { ...this.run(name.toLowerCase(), body, session, legacy), ok: 1 };
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      return { ok: 0, errmsg: error.message, code: error.code, codeName: error.codeName };
    }
  }

  private run(name: string, body: Doc, session: Session, legacy: boolean): Doc {
    if (this.options.auth !== false && session.user === undefined && !openCommands.has(name)) {
      throw new CommandError(13, 'Unauthorized', `Command ${name} requires authentication`);
    }
    switch (name) {
      case 'hello':
      case 'ismaster':
        return this.hello(body, session, legacy || name === 'ismaster');
      case 'ping':
      case 'endsessions':
        return {};
      case 'buildinfo':
        return { version: '8.0.17', versionArray: [8, 0, 17, 0], maxBsonObjectSize: 16 * 1024 * 1024 };
      case 'saslstart':
        return this.saslStart(body, session);
      case 'saslcontinue':
        return this.saslContinue(body, session);
      case 'replsetgetstatus':
        return this.status();
      case 'replsetgetconfig':
        this.status();
        return { config: this.config };
      case 'replsetinitiate':
        return this.initiate(body.replSetInitiate as ReplicaSetConfig);
      case 'replsetreconfig':
        return this.reconfig(body.replSetReconfig as ReplicaSetConfig);
      case 'usersinfo':
        return { users: this.users.filter((u) => u.db === body.$db && (typeof body.usersInfo !== 'string' || u.user === body.usersInfo)) };
      case 'createuser':
        return this.createUser(body);
      default:
        throw new CommandError(59, 'CommandNotFound', `no such command: '${commandName(body)}'`);
    }
  }

  private hello(body: Doc, session: Session, legacy: boolean): Doc {
    const writable = legacy ? 'ismaster' : 'isWritablePrimary';
    const base: Doc = {
      helloOk: true,
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: session.id,
      minWireVersion: 0,
      maxWireVersion: MAX_WIRE_VERSION,
      readOnly: false,
    };
    const mechs = typeof body.saslSupportedMechs === 'string' && this.users.some((u) => `${u.db}.${u.user}` === body.saslSupportedMechs) ? { saslSupportedMechs: ['SCRAM-SHA-256'] } : {};
    if (this.options.replSet === undefined) return { [writable]: true, ...mechs, ...base };
    if (this.config === undefined) return { [writable]: false, secondary: false, info: 'Does not have a valid replica set config', isreplicaset: true, ...mechs, ...base };
    const primary = this.cluster?.primaryOf(this.config);
    return {
      [writable]: this.state === 'PRIMARY',
      secondary: this.state === 'SECONDARY',
      hosts: this.config.members.map((m) => m.host),
      setName: this.config._id,
      setVersion: this.config.version,
      me: this.host,
      ...(primary === undefined ? {} : { primary: primary.host }),
      ...mechs,
      ...base,
    };
  }

  private saslStart(body: Doc, session: Session): Doc {
    if (body.mechanism !== 'SCRAM-SHA-256') throw new CommandError(334, 'MechanismUnavailable', `Received authentication for mechanism ${String(body.mechanism)} which is not enabled`);
    const clientFirst = (body.payload as Buffer).toString('utf8');
    const clientFirstBare = clientFirst.replace(/^n,,/, '');
    const attributes = new Map(clientFirstBare.split(',').map((part) => [part.slice(0, 1), part.slice(2)] as const));
    const user = this.users.find((u) => u.db === body.$db && u.user === attributes.get('n'));
    const salt = randomBytes(16);
    const serverFirst = `r=${attributes.get('r') ?? ''}${randomBytes(18).toString('base64')},s=${salt.toString('base64')},i=4096`;
    // An unknown user still gets a challenge, as mongod does, and fails at the proof.
    const saltedPassword = pbkdf2Sync((user?.pwd ?? randomBytes(8).toString('hex')).normalize('NFKC'), salt, 4096, 32, 'sha256');
    session.scram = { user: user ?? { db: '', user: '', pwd: '', roles: [] }, clientFirstBare, serverFirst, saltedPassword };
    return { conversationId: 1, done: false, payload: new BSON.Binary(Buffer.from(serverFirst)) };
  }

  private saslContinue(body: Doc, session: Session): Doc {
    const scram = session.scram;
    if (scram === undefined) throw new CommandError(17, 'ProtocolError', 'No SASL session state found');
    const clientFinal = (body.payload as Buffer).toString('utf8');
    const withoutProof = clientFinal.replace(/,p=[^,]*$/, '');
    const proof = Buffer.from(clientFinal.slice(withoutProof.length + 3), 'base64');
    const authMessage = [scram.clientFirstBare, scram.serverFirst, withoutProof].join(',');
    const clientKey = hmac(scram.saltedPassword, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const signature = hmac(storedKey, authMessage);
    const expected = Buffer.from(clientKey.map((byte, i) => byte ^ (signature[i] ?? 0)));
    session.scram = undefined;
    if (scram.user.user === '' || proof.length !== expected.length || !timingSafeEqual(proof, expected)) {
      throw new CommandError(18, 'AuthenticationFailed', 'Authentication failed.');
    }
    session.user = `${scram.user.db}.${scram.user.user}`;
    const serverSignature = hmac(hmac(scram.saltedPassword, 'Server Key'), authMessage);
    return { conversationId: 1, done: true, payload: new BSON.Binary(Buffer.from(`v=${serverSignature.toString('base64')}`)) };
  }

  private status(): Doc {
    if (this.options.replSet === undefined) throw new CommandError(76, 'NoReplicationEnabled', 'not running with --replSet');
    if (this.config === undefined) throw new CommandError(94, 'NotYetInitialized', 'no replset config has been received');
    return { set: this.config._id, myState: { PRIMARY: 1, SECONDARY: 2, RECOVERING: 3, STARTUP2: 5 }[this.state ?? 'STARTUP2'] };
  }

  private initiate(config: ReplicaSetConfig): Doc {
    if (this.options.replSet === undefined) throw new CommandError(76, 'NoReplicationEnabled', 'This node was not started with replication enabled.');
    if (this.config !== undefined) throw new CommandError(23, 'AlreadyInitialized', 'already initialized');
    if (config._id !== this.options.replSet) {
      throw new CommandError(93, 'InvalidReplicaSetConfig', `Attempting to initiate a replica set with name ${config._id}, but command line reports ${this.options.replSet}; rejecting`);
    }
    if (!config.members.some((m) => m.host === this.host)) {
      throw new CommandError(93, 'InvalidReplicaSetConfig', `No host described in new configuration with {version: 1, term: 0} for replica set ${config._id} maps to this node`);
    }
    this.config = { ...config, version: 1, term: 1, settings: { replicaSetId: new ObjectId() } };
    this.state = 'SECONDARY';
    this.cluster?.afterInitiate(this);
    return {};
  }

  private reconfig(config: ReplicaSetConfig): Doc {
    if (this.state !== 'PRIMARY' || this.config === undefined) throw new CommandError(10107, 'NotWritablePrimary', 'replSetReconfig should only be run on a writable PRIMARY');
    const current = this.config;
    if (config.version <= current.version) {
      throw new CommandError(103, 'NewReplicaSetConfigurationIncompatible', `New replica set configuration version must be greater than old, but ${String(config.version)} is not greater than ${String(current.version)} for replset ${current._id}`);
    }
    const before = new Set(current.members.map((m) => m.host));
    const after = new Set(config.members.map((m) => m.host));
    const changed = [...after].filter((h) => !before.has(h)).length + [...before].filter((h) => !after.has(h)).length;
    if (changed > 1) throw new CommandError(103, 'NewReplicaSetConfigurationIncompatible', 'Non force replica set reconfig can only add or remove at most 1 voting member.');
    if (new Set(config.members.map((m) => m._id)).size !== config.members.length) throw new CommandError(93, 'InvalidReplicaSetConfig', 'Found two member configurations with same _id field');
    this.config = { ...config, settings: current.settings };
    this.cluster?.afterConfigChange(this);
    return {};
  }

  private createUser(body: Doc): Doc {
    if (this.options.replSet !== undefined && this.state !== 'PRIMARY') throw new CommandError(10107, 'NotWritablePrimary', 'not primary');
    const db = String(body.$db);
    const user = String(body.createUser);
    if (this.users.some((u) => u.db === db && u.user === user)) throw new CommandError(51003, 'Location51003', `User "${user}@${db}" already exists`);
    this.users.push({ db, user, pwd: String(body.pwd), roles: body.roles as User['roles'] });
    return {};
  }
}

export interface ReplicaSetTiming {
  /** Time from replSetInitiate to the initiating node's election. */
  readonly electionMs: number;
  /** Time for a config to reach a member by heartbeat. */
  readonly heartbeatMs: number;
  /** Initial sync: STARTUP2 to SECONDARY. */
  readonly syncMs: number;
}

/** Members of one --replSet that pass configs to each other by (simulated) heartbeats. */
export class ScriptedReplicaSet {
  readonly members: ScriptedMember[] = [];
  /** Members that heartbeats do not reach (e.g. held back by a test). */
  readonly unreachable = new Set<ScriptedMember>();
  private readonly setName: string;
  private readonly timing: ReplicaSetTiming;

  constructor(setName: string, timing: ReplicaSetTiming = { electionMs: 200, heartbeatMs: 100, syncMs: 200 }) {
    this.setName = setName;
    this.timing = timing;
  }

  async add(count: number, users: readonly User[]): Promise<ScriptedMember[]> {
    const added = await Promise.all(Array.from({ length: count }, () => new ScriptedMember({ replSet: this.setName, users }, this).start()));
    this.members.push(...added);
    return added;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
  }

  /** The PRIMARY holding the same set (same replicaSetId) as this config, if any. */
  primaryOf(config: ReplicaSetConfig): ScriptedMember | undefined {
    const id = config.settings?.replicaSetId?.toHexString();
    return this.members.find((m) => m.state === 'PRIMARY' && m.config?.settings?.replicaSetId?.toHexString() === id);
  }

  /** Gives every member a config, as if the set had formed earlier; `primary` is elected. */
  hold(config: { readonly _id: string; readonly version: number; readonly members: readonly ConfigMember[] }, holders: readonly ScriptedMember[], primary: ScriptedMember): void {
    const full: ReplicaSetConfig = { ...config, settings: { replicaSetId: new ObjectId() } };
    for (const member of holders) {
      member.config = full;
      member.state = member === primary ? 'PRIMARY' : 'SECONDARY';
    }
  }

  afterInitiate(member: ScriptedMember): void {
    setTimeout(() => {
      member.state = 'PRIMARY';
      this.afterConfigChange(member);
    }, this.timing.electionMs).unref();
  }

  /** The primary's heartbeats carry its config to every member it lists that has an older one. */
  afterConfigChange(primary: ScriptedMember): void {
    const config = primary.config;
    if (config === undefined) return;
    setTimeout(() => {
      for (const member of this.members) {
        if (member === primary || this.unreachable.has(member) || !config.members.some((m) => m.host === member.host)) continue;
        if (member.config === undefined || member.config.version < config.version) {
          if (member.config === undefined) member.adopt(config, this.timing.syncMs);
          else member.config = config;
        }
      }
    }, this.timing.heartbeatMs).unref();
  }
}
