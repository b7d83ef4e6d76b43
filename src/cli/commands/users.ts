import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { GantryError, isGantryError } from '../../core/errors.js';
import { ROLES, isRole, type Role, type User } from '../../core/identity.js';
import { note, printText, stdoutIsTerminal } from '../client-options.js';
import { ADMIN_PASSWORD_FILE } from '../../services/identity/first-admin.js';
import { withInstallation, withInstallationOptions, type Installation, type InstallationFlags } from '../installation.js';
import { NONE, formatTime } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { readSecretLine } from '../read-secret.js';
import { isoTime, printJson } from './admin-output.js';

interface AddFlags extends InstallationFlags {
  role: Role[];
  passwordStdin?: boolean;
  name?: string;
  email?: string;
}

interface PasswordFlags extends InstallationFlags {
  passwordStdin?: boolean;
}

/** Commander parser for a repeatable `--role`: each value checked against the roles there are (`--role a,b` works too). */
function collectRole(value: string, previous: Role[] = []): Role[] {
  const roles = [...previous];
  for (const part of value.split(',').map((item) => item.trim())) {
    if (!isRole(part)) throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}.`);
    if (!roles.includes(part)) roles.push(part);
  }
  return roles;
}

/** A user as `--json` shows it: never a password or its hash. */
function userJson(user: User): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    email: user.email,
    roles: user.roles,
    projects: user.projects,
    hasPassword: user.hasPassword,
    enabled: user.enabled,
    createdAt: isoTime(user.createdAt),
  };
}

const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PASSWORD_LENGTH = 24;

/**
 * A new random password, shown once: 24 letters and digits (about 143 bits),
 * nothing a shell or a command line could take for something else (a leading `-`).
 */
function newPassword(): string {
  let password = '';
  while (password.length < PASSWORD_LENGTH) {
    for (const byte of randomBytes(PASSWORD_LENGTH)) {
      // 248 = 4 × 62: bytes above it are dropped, so every character is equally likely.
      if (byte < 248 && password.length < PASSWORD_LENGTH) password += PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length];
    }
  }
  return password;
}

/** The password a command sets: typed or piped with `--password-stdin`, else a new random one (returned to be shown). */
async function passwordOf(flags: { passwordStdin?: boolean }, username: string): Promise<{ password: string; generated: boolean }> {
  if (flags.passwordStdin) return { password: await readSecretLine(`password for ${username}: `), generated: false };
  return { password: newPassword(), generated: true };
}

/**
 * The local admin's kept password stops being true once admin's password
 * changes or admin is gone; client commands would keep sending it. Remove it and
 * say so, rather than store a password the user chose.
 */
function forgetKeptAdminPassword({ config }: Installation, username: string, why: string): void {
  if (username !== 'admin') return;
  const file = join(config.dataDir, ADMIN_PASSWORD_FILE);
  try {
    rmSync(file);
  } catch {
    return;
  }
  note(`removed ${file}, which held admin's ${why} password`);
}

async function addUser(username: string, flags: AddFlags): Promise<void> {
  const { password, generated } = await passwordOf(flags, username);
  await withInstallation(flags, async ({ identity }) => {
    const user = await identity.addUser({ username, roles: flags.role, password, name: flags.name, email: flags.email });
    // Printed before the store closes: the user exists now, so its password must not be lost to a failed close.
    if (flags.json) return printJson({ user: userJson(user), ...(generated ? { password } : {}) });
    note(`created user ${user.username} with role${user.roles.length > 1 ? 's' : ''} ${user.roles.join(', ')}`);
    if (generated) {
      note('its password, shown only now:');
      printText(password);
    }
  });
}

async function listUsers(flags: InstallationFlags): Promise<void> {
  const users = await withInstallation(flags, ({ identity }) => identity.listUsers());
  if (flags.json) return printJson(users.map(userJson));
  const rows = users.map((user) => [user.username, user.roles.join(','), user.name || NONE, user.email || NONE, formatTime(isoTime(user.createdAt))]);
  process.stdout.write(renderTable(['USERNAME', 'ROLES', 'NAME', 'EMAIL', 'CREATED'], rows, { color: stdoutIsTerminal() }));
}

async function removeUser(username: string, flags: InstallationFlags): Promise<void> {
  await withInstallation(flags, async (installation) => {
    await installation.identity.removeUser(username).catch((error: unknown) => {
      // The one invalid_input here is the last admin: a refusal of this installation, not a usage error.
      if (isGantryError(error) && error.code === 'invalid_input') throw new GantryError('conflict', error.message);
      throw error;
    });
    forgetKeptAdminPassword(installation, username, 'former');
  });
  if (flags.json) return printJson({ username, removed: true });
  note(`removed user ${username}`);
}

async function setPassword(username: string, flags: PasswordFlags): Promise<void> {
  // An unknown user is refused before a password is asked for.
  await withInstallation(flags, async (installation) => {
    await installation.identity.getUser(username);
    const { password, generated } = await passwordOf(flags, username);
    await installation.identity.setPassword(username, password);
    forgetKeptAdminPassword(installation, username, 'old');
    if (flags.json) return printJson({ username, ...(generated ? { password } : {}) });
    note(`set a new password for ${username}; access tokens and login cookies issued before now no longer work`);
    if (generated) {
      note('the password, shown only now:');
      printText(password);
    }
  });
}

/** `gantry users add|ls|rm|passwd`: the installation's users, straight in its store. */
export function registerUsers(program: Command): void {
  const users = program.command('users').description("manage the installation's users (acts on the store directly; no server needed)");

  withInstallationOptions(
    users
      .command('add')
      .description('add a user; prints a new random password once unless --password-stdin gives one')
      .argument('<username>', 'login name: letters, digits and . _ @ -')
      .requiredOption('--role <role>', `a role (repeat for more): ${ROLES.join(', ')}`, collectRole)
      .option('--password-stdin', 'read the password from the first line of stdin (on a terminal: typed, not shown)')
      .option('--name <name>', 'full name (default: the username)')
      .option('--email <email>', 'email address'),
  ).action((username: string, flags: AddFlags) => addUser(username, flags));

  withInstallationOptions(users.command('ls').alias('list').description('list the users')).action((flags: InstallationFlags) => listUsers(flags));

  withInstallationOptions(users.command('rm').alias('remove').description('remove a user: their password, API keys and access tokens stop working').argument('<username>', 'user to remove')).action(
    (username: string, flags: InstallationFlags) => removeUser(username, flags),
  );

  withInstallationOptions(
    users
      .command('passwd')
      .description("set a user's password (a new random one, printed once, unless --password-stdin gives one)")
      .argument('<username>', 'user whose password to set')
      .option('--password-stdin', 'read the password from the first line of stdin (on a terminal: typed, not shown)'),
  ).action((username: string, flags: PasswordFlags) => setPassword(username, flags));
}
