-- Each service owns its own database (ARCHITECTURE.md: no service reads another's tables).
CREATE DATABASE registry;
CREATE DATABASE dispatch;
CREATE DATABASE fund;
CREATE DATABASE settlement;
CREATE DATABASE notify;
