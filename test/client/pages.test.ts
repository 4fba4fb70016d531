// The client library's reading of IPG documents (MSNP5.md 9.28, 12.7): msnd's own, and the
// indented ones of the period with a page from a phone and a failure notice ([YW IPG][Gaim]).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseIncomingPage } from '../../src/client/pages.ts';
import { incomingPageDocument } from '../../src/protocol/incoming-page.ts';

describe('parseIncomingPage (client)', () => {
  test("reads msnd's document and round-trips escaped text", () => {
    const doc = incomingPageDocument({
      to: { handle: 'bob@example.com', accountId: 2 },
      from: { handle: 'alice@example.com', accountId: 1 },
      siteUrl: 'http://www.example.com/',
      actionUrl: 'mobile/settings',
      text: `Tom & Jerry <say> "hi" it's été`,
      callback: '',
    })!;
    assert.deepEqual(parseIncomingPage(doc), {
      from: 'alice@example.com',
      fromPid: '0x00000000:0x00000001',
      text: `Tom & Jerry <say> "hi" it's été`,
      messageId: '1',
      notificationId: '0',
    });
  });

  test('reads the indented documents of the period, a page from a phone and a failure notice', () => {
    const fromPhone = `<?xml version="1.0"?>
<NOTIFICATION id="0" siteid="111100400" siteurl="http://mobile.msn.com/">
  <TO name="bob@example.com"><VIA agent="mobile"/></TO>
  <FROM name="tel:+15550100"/>
  <MSG pri="1" id="1"><CAT Id="110110001"/><ACTION url="2wayIM.asp"/><SUBSCR url="2wayIM.asp"/>
    <BODY lcid="1033">
      <TEXT>On my way &#x26; late</TEXT>
    </BODY>
  </MSG>
</NOTIFICATION>`;
    assert.deepEqual(parseIncomingPage(Buffer.from(fromPhone)), {
      from: 'tel:+15550100',
      fromPid: '',
      text: 'On my way & late',
      messageId: '1',
      notificationId: '0',
    });
    const failed = fromPhone
      .replace('<NOTIFICATION id="0"', '<NOTIFICATION id="17"')
      .replace('id="1"', 'id="407"')
      .replace(/<TEXT>[^<]*</, '<TEXT><');
    assert.deepEqual(parseIncomingPage(failed), { from: 'tel:+15550100', fromPid: '', text: '', messageId: '407', notificationId: '17' });
  });

  test('a document without FROM or TEXT is not a page', () => {
    assert.equal(parseIncomingPage('<NOTIFICATION id="0"><MSG id="1"><BODY><TEXT>x</TEXT></BODY></MSG></NOTIFICATION>'), undefined);
    assert.equal(parseIncomingPage('<NOTIFICATION id="0"><FROM name="a@b.c"/><MSG id="1"></MSG></NOTIFICATION>'), undefined);
    assert.equal(parseIncomingPage(''), undefined);
  });
});
