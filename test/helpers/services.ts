/** Real services the integration tests need. Missing ones fail loudly with how to start them. */
import { Socket } from 'node:net';

function reachable(port: number, host = '127.0.0.1', timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

export const PG_URL = process.env.AUTOPROM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_PORT = 6379;

export async function requirePostgres(): Promise<void> {
  if (!(await reachable(5432))) {
    throw new Error(
      'PostgreSQL is not reachable on 127.0.0.1:5432. Start it with: ' +
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start ' +
        '(or install it: apt-get update && apt-get install -y postgresql), then create the database: createdb -U postgres test',
    );
  }
}

export async function requireRedis(): Promise<void> {
  if (!(await reachable(REDIS_PORT))) {
    throw new Error(
      'Redis is not reachable on 127.0.0.1:6379. Start it with: ' +
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
        '(or install it: apt-get update && apt-get install -y redis-server)',
    );
  }
}

export const MYSQL_PORT = 3306;

export async function requireMysql(): Promise<void> {
  if (!(await reachable(MYSQL_PORT))) {
    throw new Error(
      'MariaDB/MySQL is not reachable on 127.0.0.1:3306 (root, empty password, database test). Start it with: ' +
        'mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld && (mysqld_safe --bind-address=127.0.0.1 --port=3306 >/dev/null 2>&1 &) ' +
        '(or install it: apt-get update && apt-get install -y mariadb-server), then: ' +
        'mysql -u root -e "CREATE DATABASE IF NOT EXISTS test; ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(\'\')" ' +
        '(bash .ci/run does all of this)',
    );
  }
}
