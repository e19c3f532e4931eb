DROP INDEX login_throttle_recent;
DROP TABLE login_address_throttle;
