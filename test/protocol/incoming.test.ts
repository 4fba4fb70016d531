// The documents of IPG and of the new-mail notification, byte for byte (MSNP5.md 12.2, 12.7;
// sessions.md session 10).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newMailNotification } from '../../src/protocol/email-notification.ts';
import { incomingPageDocument } from '../../src/protocol/incoming-page.ts';

const SESSION_10 = {
  from: 'Carol Example',
  messageUrl: '/cgi-bin/getmsg?msg=MSG1000000123.45&start=1&len=100&curmbox=ACTIVE',
  postUrl: 'http://mail.example.com/md5auth',
  subject: 'Lunch?',
  destFolder: 'ACTIVE',
  fromAddr: 'carol@example.com',
  siteId: 2,
};

describe('newMailNotification', () => {
  test('MSNP3+: the 305 bytes of sessions.md session 10', () => {
    const payload = newMailNotification(true, SESSION_10);
    const lines = [
      'MIME-Version: 1.0',
      'Content-Type: text/x-msmsgsemailnotification; charset=UTF-8',
      '',
      'From: Carol Example',
      'Message-URL: /cgi-bin/getmsg?msg=MSG1000000123.45&start=1&len=100&curmbox=ACTIVE',
      'Post-URL: http://mail.example.com/md5auth',
      'Subject: Lunch?',
      'Dest-Folder: ACTIVE',
      'From-Addr: carol@example.com',
      'id: 2',
      '',
      '',
    ];
    assert.equal(payload.toString('utf8'), lines.join('\r\n'));
    assert.equal(payload.length, 305);
  });

  test('MSNP2: application/x-msmsgsemailnotification, no charset, no id', () => {
    const text = newMailNotification(false, SESSION_10).toString('utf8');
    assert.ok(text.startsWith('MIME-Version: 1.0\r\nContent-Type: application/x-msmsgsemailnotification\r\n\r\nFrom: Carol Example\r\n'));
    assert.ok(text.endsWith('From-Addr: carol@example.com\r\n\r\n'));
    assert.doesNotMatch(text, /\bid:/);
  });

  test('a value with CR or LF is refused, never written', () => {
    assert.throws(() => newMailNotification(true, { ...SESSION_10, subject: 'a\r\nid: 9' }), RangeError);
    assert.throws(() => newMailNotification(false, { ...SESSION_10, from: 'a\nb' }), RangeError);
  });
});

describe('incomingPageDocument', () => {
  const fields = {
    to: { handle: 'bob@example.com', accountId: 2 ** 32 + 7 },
    from: { handle: 'alice@example.com', accountId: 1234567 },
    siteUrl: 'http://www.example.com/',
    actionUrl: 'mobile/settings',
    text: 'Fish & chips <now>',
    callback: '',
  };

  test('TO and FROM pids are MemberIdHigh:MemberIdLow in 8 hex digits; text and URLs are escaped', () => {
    assert.equal(
      incomingPageDocument(fields),
      '<NOTIFICATION ver="1" id="0" siteid="111100400" siteurl="http://www.example.com/">' +
        '<TO pid="0x00000001:0x00000007" name="bob@example.com"><VIA agent="mobile"/></TO>' +
        '<FROM pid="0x00000000:0x0012d687" name="alice@example.com"/>' +
        '<MSG pri="1" id="1"><ACTION url="mobile/settings"/><SUBSCR url="mobile/settings"/><CAT id="110110001"/>' +
        '<BODY lang="1033"><TEXT>Fish &amp; chips &lt;now&gt;</TEXT></BODY></MSG></NOTIFICATION>',
    );
  });

  test('a call-back number ends the text; a BODY over 1024 bytes gives no document', () => {
    assert.match(
      incomingPageDocument({ ...fields, callback: '15550100' })!,
      /<TEXT>Fish &amp; chips &lt;now&gt; \(Call back: 15550100\)<\/TEXT>/,
    );
    const wrapper = '<BODY lang="1033"><TEXT></TEXT></BODY>'.length;
    assert.ok(incomingPageDocument({ ...fields, text: 'x'.repeat(1024 - wrapper) }));
    assert.equal(incomingPageDocument({ ...fields, text: 'x'.repeat(1025 - wrapper) }), undefined);
    assert.equal(incomingPageDocument({ ...fields, text: '&'.repeat(200) }), undefined, '&amp; counts 5 bytes');
  });
});
