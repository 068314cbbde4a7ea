from gmp_twin.cli import main

raise SystemExit(main())
