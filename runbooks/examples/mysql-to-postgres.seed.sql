-- Seed for mysql-to-postgres.yaml: a small shop in MariaDB/MySQL, with the
-- dirt old MySQL schemas collect. Load it with:
--   mysql -uroot -h127.0.0.1 shop < runbooks/examples/mysql-to-postgres.seed.sql
SET SESSION sql_mode = '';  -- the old application ran without strict mode: zero dates got in
SET SESSION max_recursive_iterations = 100000;
DROP TABLE IF EXISTS order_items, orders, products, customers;

CREATE TABLE customers (
  id         INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email      VARCHAR(255) NOT NULL,
  full_name  VARCHAR(120) NOT NULL,
  birthday   DATE NULL,
  vip        TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE products (
  id     INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sku    VARCHAR(32) NOT NULL,
  title  VARCHAR(200) NOT NULL,
  price  DECIMAL(12,4) NOT NULL,
  rating VARCHAR(8) NULL,
  attrs  JSON NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE orders (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  status      ENUM('new','paid','shipped','cancelled') NOT NULL,
  placed_at   DATETIME NOT NULL,
  note        TEXT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE order_items (
  order_id   BIGINT UNSIGNED NOT NULL,
  line       SMALLINT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  qty        INT NOT NULL,
  unit_price DECIMAL(12,4) NOT NULL,
  PRIMARY KEY (order_id, line)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO customers (id, email, full_name, birthday, vip, created_at)
WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
SELECT i,
       CONCAT('customer', i, '@example.com'),
       CONCAT('Customer ', i),
       CASE WHEN i % 250 = 0 THEN '0000-00-00' WHEN i % 7 = 0 THEN NULL
            ELSE DATE_ADD('1950-01-01', INTERVAL (i * 37) % 20000 DAY) END,
       i % 10 = 0,
       DATE_ADD('2020-01-01 08:00:00', INTERVAL i * 3607 SECOND)
FROM n;

INSERT INTO products (id, sku, title, price, rating, attrs)
WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 500)
SELECT i,
       CONCAT('SKU-', LPAD(i, 6, '0')),
       CONCAT('Product ', i),
       CASE WHEN i % 50 = 0 THEN 10 + i / 1000 + 0.0005 ELSE ROUND(5 + (i * 7919 % 99500) / 100, 2) END,
       CASE WHEN i % 40 = 0 THEN 'N/A' ELSE CAST(1 + i % 5 AS CHAR) END,
       JSON_OBJECT('colour', ELT(1 + i % 3, 'red', 'green', 'blue'), 'weight_g', i * 3)
FROM n;

INSERT INTO orders (id, customer_id, status, placed_at, note)
WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
SELECT i, 1 + (i * 13) % 2000, ELT(1 + i % 4, 'new', 'paid', 'shipped', 'cancelled'),
       DATE_ADD('2025-01-01 00:00:00', INTERVAL i * 911 SECOND),
       CASE WHEN i % 3 = 0 THEN CONCAT('gift wrap for order ', i) ELSE NULL END
FROM n;

INSERT INTO order_items (order_id, line, product_id, qty, unit_price)
WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 15000)
SELECT 1 + (i - 1) DIV 3 % 6000, 1 + (i - 1) % 3, 1 + (i * 31) % 500, 1 + i % 4,
       ROUND(5 + (i * 104729 % 99500) / 100, 2)
FROM n;
