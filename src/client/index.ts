// The MSNP client library (imports only src/protocol and node built-ins).
//
// Wire level — MsnpConnection: send exact lines, take received commands from an inbox with
// next()/expectNothing()/drain(), request() by TrID. Nothing is interpreted; error codes are
// ordinary replies.
//
// Session level — MsnClient.login(): DS → XFR → NS login, then one method per NS command over a
// model (lists, settings, phones, groups, contacts' presence) kept up to date from every received
// line, whoever takes it from the inbox. Command methods resolve with the reply line and reject with
// MsnpError (.code) on an error code; login rejects with LoginError (.code; 0 = no common dialect).
// Names are %-encoded wire strings throughout (encodeName/decodeName convert).
// MSNP6+ (offered when `dialects` in the login options asks for it): the server's `CHL 0` challenges
// are answered with QRY by MsnClient itself, and reported as 'challenge' events.
//
// Switchboard — SwitchboardSession.open(client) (XFR SB + USR) or .answer(client, invitation) (ANS):
// invite, send, sendTyping, sendPayload, nextMessage, leave; participants and messages are kept
// from every received line.
export * from './challenges.ts';
export * from './client.ts';
export * from './connection.ts';
export * from './errors.ts';
export * from './exchange.ts';
export * from './login.ts';
export * from './mime.ts';
export * from './model.ts';
export * from './names.ts';
export * from './pages.ts';
export * from './received.ts';
export * from './referrals.ts';
export * from './switchboard.ts';
export * from './transport.ts';
export * from './websocket.ts';
