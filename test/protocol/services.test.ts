// The pure wire pieces of the MSNP5 services: the <NOTIFICATION> document (MSNP5.md 12.7), FND
// fields (9.17) and the PAG payload (9.20).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findResultTokens, parseFindQuery } from '../../src/protocol/directory.ts';
import { bodyElement, bodyFits, escapeXml, notificationDocument, NOTIFICATION_BODY_MAX_BYTES } from '../../src/protocol/notification.ts';
import { parsePagePayload } from '../../src/protocol/page.ts';

describe('notificationDocument', () => {
  test('builds the document of sessions.md session 10 byte for byte', () => {
    const doc = notificationDocument({
      id: 1,
      siteId: 0,
      siteUrl: 'http://alerts.example.com/',
      memberIdHigh: 0,
      memberIdLow: 1234567,
      name: 'alice@example.com',
      messageId: 0,
      actionUrl: 'a.htm',
      subscrUrl: 's.htm',
      lang: 1033,
      text: 'Server maintenance tonight at 22:00 UTC.',
    });
    assert.equal(
      doc,
      '<NOTIFICATION ver="1" id="1" siteid="0" siteurl="http://alerts.example.com/"><TO pid="0x00000000:0x0012d687" name="alice@example.com"/><MSG id="0"><ACTION url="a.htm"/><SUBSCR url="s.htm"/><BODY lang="1033"><TEXT>Server maintenance tonight at 22:00 UTC.</TEXT></BODY></MSG></NOTIFICATION>',
    );
    assert.equal(Buffer.byteLength(doc), 288);
  });

  test('escapes every value; the pid halves are 8 lower-case hex digits', () => {
    const doc = notificationDocument({
      id: 4294967295,
      siteId: 1,
      siteUrl: 'http://x/?a=1&b="2"',
      memberIdHigh: 1,
      memberIdLow: 0xffffffff,
      name: 'a<b>@example.com',
      messageId: 7,
      actionUrl: "it's",
      subscrUrl: '<',
      lang: 1031,
      text: 'a & b < c',
    });
    assert.ok(doc.includes('siteurl="http://x/?a=1&amp;b=&quot;2&quot;"'));
    assert.ok(doc.includes('<TO pid="0x00000001:0xffffffff" name="a&lt;b&gt;@example.com"/>'));
    assert.ok(
      doc.includes('<MSG id="7"><ACTION url="it&apos;s"/><SUBSCR url="&lt;"/><BODY lang="1031"><TEXT>a &amp; b &lt; c</TEXT></BODY>'),
    );
  });

  test('escapeXml drops what XML cannot carry, keeps tab, CR, LF and astral characters', () => {
    assert.equal(escapeXml('a\u0000b\u0007c\td\r\ne\uffff\ud800f😀'), 'abc\td\r\nef😀');
  });

  test('BODY may take 1024 bytes including its tags (UTF-8 counted in bytes)', () => {
    const room = NOTIFICATION_BODY_MAX_BYTES - bodyElement(1033, '').length;
    assert.equal(bodyFits(1033, 'x'.repeat(room)), true);
    assert.equal(bodyFits(1033, 'x'.repeat(room + 1)), false);
    assert.equal(bodyFits(1033, 'é'.repeat(room / 2 + 1)), false);
    assert.equal(bodyFits(1033, '&'.repeat(Math.floor(room / 5))), true, 'escaped size counts');
    assert.equal(bodyFits(1033, '&'.repeat(Math.floor(room / 5) + 1)), false);
  });
});

describe('FND fields', () => {
  test('decodes the five fields in their order', () => {
    assert.deepEqual(parseFindQuery(['fname=Mary%20Ann', 'lname=O%27Neil', 'city=*', 'state=', 'country=US']), {
      fname: 'Mary Ann',
      lname: "O'Neil",
      city: '*',
      state: '',
      country: 'US',
    });
    assert.deepEqual(parseFindQuery(['fname=%C3%A9', 'lname=%c3%a9', 'city=%', 'state=*', 'country=*'])?.city, '%');
  });

  test('refuses missing, extra or reordered keys and values that are not text', () => {
    const ok = ['fname=a', 'lname=b', 'city=*', 'state=*', 'country=*'];
    assert.equal(parseFindQuery(ok.slice(0, 4)), undefined);
    assert.equal(parseFindQuery([...ok, 'x=1']), undefined);
    assert.equal(parseFindQuery([ok[1]!, ok[0]!, ...ok.slice(2)]), undefined);
    assert.equal(parseFindQuery(['fname', ...ok.slice(1)]), undefined);
    assert.equal(parseFindQuery(['FNAME=a', ...ok.slice(1)]), undefined);
    assert.equal(parseFindQuery(['fname=%FF', ...ok.slice(1)]), undefined);
    assert.equal(parseFindQuery(['fname=a%0Db', ...ok.slice(1)]), undefined);
    assert.equal(parseFindQuery([`fname=${'a'.repeat(388)}`, ...ok.slice(1)]), undefined);
  });

  test('result tokens are canonically %-encoded', () => {
    assert.deepEqual(findResultTokens({ fname: 'Mary Ann', lname: 'Zoë', city: '100%', state: '', country: 'US' }), [
      'fname=Mary%20Ann',
      'lname=Zo%C3%AB',
      'city=100%25',
      'state=',
      'country=US',
    ]);
  });
});

describe('parsePagePayload', () => {
  const text = (t: string) => Buffer.from(`<TEXT xml:space="preserve">${t}</TEXT>`);

  test('the two shapes of the reference, with or without a trailing CR LF', () => {
    assert.deepEqual(parsePagePayload(text('Call me when you land.')), {
      callback: '',
      callbackLocation: '',
      text: 'Call me when you land.',
    });
    assert.deepEqual(
      parsePagePayload(Buffer.from('<PHONE pri="1"><LOC>WORK</LOC><NUM>15550100</NUM></PHONE><TEXT xml:space="preserve">hi</TEXT>\r\n')),
      { callback: '15550100', callbackLocation: 'WORK', text: 'hi' },
    );
  });

  test('decodes the escapes of the reference and other character references', () => {
    assert.equal(
      parsePagePayload(text('&#x26;&#x3B;&#x3C;&#x3E;&#x5E; &#65;&amp;&lt;&gt;&quot;&apos; raw ; ^'))?.text,
      '&;<>^ A&<>"\' raw ; ^',
    );
    assert.equal(parsePagePayload(text('&#x1F600;'))?.text, '😀');
  });

  test('refuses other shapes, bare markup, bad references, controls, empty text and bytes that are not UTF-8', () => {
    for (const bad of [
      '<TEXT>x</TEXT>',
      'x',
      '',
      '<TEXT xml:space="preserve"></TEXT>',
      '<TEXT xml:space="preserve">  </TEXT>',
      '<TEXT xml:space="preserve">a&b</TEXT>',
      '<TEXT xml:space="preserve">a&foo;b</TEXT>',
      '<TEXT xml:space="preserve">&#x110000;</TEXT>',
      '<TEXT xml:space="preserve">&#xDC00;</TEXT>',
      '<TEXT xml:space="preserve">&#0;</TEXT>',
      '<TEXT xml:space="preserve">a\u0001</TEXT>',
      '<PHONE pri="1"><LOC>MOBILE</LOC><NUM>12a</NUM></PHONE><TEXT xml:space="preserve">x</TEXT>',
      '<TEXT xml:space="preserve">x</TEXT> trailing',
      ' <TEXT xml:space="preserve">x</TEXT>',
    ]) {
      assert.equal(parsePagePayload(Buffer.from(bad)), undefined, bad);
    }
    assert.equal(parsePagePayload(Buffer.concat([text('a'), Buffer.from([0xff])])), undefined);
  });
});
