// Transcripts from sessions.md (MSNP5 example sessions), for the scripted server.

/** Session 1, alice-DS; the NS address is a placeholder. */
export const SESSION1_DS = `
C: VER 1 MSNP5 MSNP4 CVR0
S: VER 1 MSNP5 MSNP4 CVR0
C: INF 2
S: INF 2 MD5
C: USR 3 MD5 I alice@example.com
S: XFR 3 NS 127.0.0.1:{nsPort} 0
`;

/** Session 1, alice-NS: login up to the two Hotmail messages. */
export const SESSION1_NS_LOGIN = `
C: VER 4 MSNP5 MSNP4 CVR0
S: VER 4 MSNP5 MSNP4 CVR0
C: INF 5
S: INF 5 MD5
C: USR 6 MD5 I alice@example.com
S: USR 6 MD5 S 1058403919.482917335
C: USR 7 MD5 S 0404f8814e91fb1d5015e7562f83a358
S: USR 7 OK alice@example.com Alice%20A
S: MSG Hotmail Hotmail 345
| MIME-Version: 1.0
| Content-Type: text/x-msmsgsprofile; charset=UTF-8
| LoginTime: 1000000000
| EmailEnabled: 1
| MemberIdHigh: 0
| MemberIdLow: 1234567
| lang_preference: 1033
| PreferredEmail: alice@example.com
| country: US
| PostalCode:
| Gender:
| Kid: 0
| Age:
| BDayPre:
| Birthday:
| Wallet:
| Flags: 1027
| sid: 507
| kv: 5
| MSPAuth: 7Qk2pLr9AbCdEf$$
|
|
S: MSG Hotmail Hotmail 223
| MIME-Version: 1.0
| Content-Type: text/x-msmsgsinitialemailnotification; charset=UTF-8
|
| Inbox-Unread: 2
| Folders-Unread: 0
| Inbox-URL: /cgi-bin/HoTMaiL
| Folders-URL: /cgi-bin/folders
| Post-URL: http://mail.example.com/
|
|
`;

/** Session 1, alice-NS: SYN 8 0 and its dump. */
export const SESSION1_NS_SYNC = `
C: SYN 8 0
S: SYN 8 12
S: GTC 8 12 A
S: BLP 8 12 AL
S: PRP 8 12 PHH 1%20(555)%200100
S: PRP 8 12 PHW
S: PRP 8 12 PHM
S: PRP 8 12 MOB N
S: PRP 8 12 MBE N
S: LST 8 FL 12 1 2 bob@example.com Bob%20B
S: BPR 12 bob@example.com PHH 1%20(555)%200142
S: BPR 12 bob@example.com PHW
S: BPR 12 bob@example.com PHM 1%20(555)%200199
S: BPR 12 bob@example.com MOB Y
S: LST 8 FL 12 2 2 carol@example.com Carol%20C
S: BPR 12 carol@example.com PHH
S: BPR 12 carol@example.com PHW
S: BPR 12 carol@example.com PHM
S: BPR 12 carol@example.com MOB N
S: LST 8 AL 12 1 2 bob@example.com Bob%20B
S: LST 8 AL 12 2 2 carol@example.com Carol%20C
S: LST 8 BL 12 0 0
S: LST 8 RL 12 1 2 bob@example.com Bob%20B
S: LST 8 RL 12 2 2 carol@example.com Carol%20C
`;

/** Session 1, alice-NS: the first CHG and its ILN, then CVR. */
export const SESSION1_NS_CHG = `
C: CHG 9 NLN
S: CHG 9 NLN
S: ILN 9 NLN bob@example.com Bob%20B
C: CVR 10 0x0409 win 4.10 i386 MSMSGS 3.0.0286 MSMSGS
S: CVR 10 3.0.0286 3.0.0286 3.0.0286 http://www.example.com/download http://www.example.com/
`;

/** Session 17a, carol-DS (MSNP7): XFR NS with the DS address. */
export const SESSION17_DS = `
C: VER 1 MSNP7 MSNP6 MSNP5 MSNP4 CVR0
S: VER 1 MSNP7 MSNP6 MSNP5 MSNP4 CVR0
C: INF 2
S: INF 2 MD5
C: USR 3 MD5 I carol@example.com
S: XFR 3 NS 127.0.0.1:{nsPort} 0 192.0.2.1:1863
`;

/** Session 17a, carol-NS: MSNP7 login with the verified flag. */
export const SESSION17_NS_LOGIN = `
C: VER 4 MSNP7 MSNP6 MSNP5 MSNP4 CVR0
S: VER 4 MSNP7 MSNP6 MSNP5 MSNP4 CVR0
C: INF 5
S: INF 5 MD5
C: USR 6 MD5 I carol@example.com
S: USR 6 MD5 S 1058403940.604417253
C: USR 7 MD5 S 47743df81939b4b15c840df21dbe3b62
S: USR 7 OK carol@example.com Carol%20C 1
S: MSG Hotmail Hotmail 345
| MIME-Version: 1.0
| Content-Type: text/x-msmsgsprofile; charset=UTF-8
| LoginTime: 1000000000
| EmailEnabled: 1
| MemberIdHigh: 0
| MemberIdLow: 7654321
| lang_preference: 1033
| PreferredEmail: carol@example.com
| country: US
| PostalCode:
| Gender:
| Kid: 0
| Age:
| BDayPre:
| Birthday:
| Wallet:
| Flags: 1027
| sid: 507
| kv: 5
| MSPAuth: 7Qk2pLr9AbCdEf$$
|
|
`;

/** Session 17a, carol-NS: SYN with LSG lines and group ids on LST FL. */
export const SESSION17_NS_SYNC = `
C: SYN 8 0
S: SYN 8 50
S: GTC 8 50 A
S: BLP 8 50 AL
S: PRP 8 50 PHH
S: PRP 8 50 PHW
S: PRP 8 50 PHM
S: PRP 8 50 MOB N
S: PRP 8 50 MBE N
S: LSG 8 50 1 2 0 Other%20Contacts 0
S: LSG 8 50 2 2 1 Friends 0
S: LST 8 FL 50 1 1 alice@example.com Alice%20A 0,1
S: BPR 50 alice@example.com PHH 1%20(555)%200100
S: BPR 50 alice@example.com PHW
S: BPR 50 alice@example.com PHM
S: BPR 50 alice@example.com MOB N
S: LST 8 AL 50 1 1 alice@example.com Alice%20A
S: LST 8 BL 50 0 0
S: LST 8 RL 50 1 1 alice@example.com Alice%20A
`;

/** Session 17a, carol-NS: group edits (ADG, ADD/REM with group, REG, errors, RMG). */
export const SESSION17_NS_GROUPS = `
C: ADG 9 Coworkers 0
S: ADG 9 51 Coworkers 2 0
C: ADD 10 FL alice@example.com Alice%20A 2
S: ADD 10 FL 52 alice@example.com Alice%20A 2
C: REM 11 FL alice@example.com 1
S: REM 11 FL 53 alice@example.com 1
C: REG 12 2 Work 0
S: REG 12 54 2 Work 0
C: REM 13 FL alice@example.com 1
S: 225 13
C: ADD 14 FL alice@example.com Alice%20A 9
S: 224 14
C: RMG 15 0
S: 230 15
C: RMG 16 1
S: RMG 16 55 1
`;
