// The text of /help in `msnd chat`.
export const HELP = [
  'Type text to send it to the current conversation (//text sends text that starts with /).',
  'commands:',
  '  /query <handle>            talk to a contact: plain text goes there (/query alone: who is current)',
  '  /msg <handle> <text>       send one message (opens a conversation if needed)',
  '  /who                       who is in the current conversation',
  '  /invite <handle>           bring someone into the current conversation',
  '  /leave                     leave the current conversation',
  '  /list                      your contacts and their status, who added you, who is blocked',
  '  /add <handle> [name]       add a contact (they may see you online)',
  '  /remove <handle>           remove a contact',
  '  /block <handle>            block someone: they cannot see you or write to you; /unblock undoes it',
  '  /status <status>           online, busy, idle, brb, away, phone, lunch or hidden',
  '  /name <friendly name>      change your name',
  '  /quit                      sign out',
].join('\n');
