from pos.cli import main

main()
